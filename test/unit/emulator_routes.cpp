// SPDX-License-Identifier: BSL-1.0
// The emulator's route table without sockets: each family's checks, the order
// of the rows, and the tasks a route creates.
#include "emulator/fields.hpp"
#include "emulator/routes.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value_to.hpp>
#include <boost/test/unit_test.hpp>

namespace emu = runninghub::emu;
namespace http = emu::http;
namespace json = boost::json;

namespace {

constexpr const char* key = "0123456789abcdef0123456789abcdef";

struct routes_fixture {
    boost::asio::io_context io;  // never run: no webhook is delivered here
    emu::state st{runninghub::emulator_options{}};
    emu::webhooks hooks{st, io.get_executor()};

    // Answers one request; the answer's JSON body (null when not JSON).
    json::value ask(http::verb method, std::string target, std::string body = {}, bool bearer = false,
                    bool* created = nullptr, unsigned* status = nullptr) {
        emu::request_t req{method, target, 11};
        if (bearer)
            req.set(http::field::authorization, std::string("Bearer ") + key);
        req.body() = std::move(body);
        emu::response_t res;
        bool c = emu::dispatch(st, hooks, req, res);
        if (created)
            *created = c;
        if (status)
            *status = res.result_int();
        boost::system::error_code ec;
        auto v = json::parse(res.body(), ec);
        return ec ? json::value() : v;
    }
};

std::string legacy(const char* field = "apiKey") { return std::string(R"({")") + field + R"(":")" + key + R"("})"; }

} // namespace

BOOST_AUTO_TEST_SUITE(emulator_routes)

BOOST_AUTO_TEST_CASE(fields_read_scalars_as_text) {
    auto v = json::parse(R"({"s":"x","i":-3,"u":18446744073709551615,"b":true,"n":null,"a":[]})");
    auto& o = v.as_object();
    BOOST_TEST(emu::text_of(o.if_contains("s")) == "x");
    BOOST_TEST(emu::text_of(o.if_contains("i")) == "-3");
    BOOST_TEST(emu::text_of(o.if_contains("u")) == "18446744073709551615");
    BOOST_TEST(emu::text_of(o.if_contains("b")) == "true");
    BOOST_TEST(emu::text_of(o.if_contains("n")).empty());
    BOOST_TEST(emu::text_of(o.if_contains("a")).empty());
    BOOST_TEST(emu::text_of(o.if_contains("missing")).empty());
}

BOOST_FIXTURE_TEST_CASE(family_checks, routes_fixture) {
    // v2: the Bearer key first, then a JSON object body.
    BOOST_TEST(ask(http::verb::post, "/openapi/v2/query", "{}").at("errorCode") == "1002");
    BOOST_TEST(ask(http::verb::post, "/openapi/v2/query", "[]", true).at("errorCode") == "1007");
    // legacy: a JSON object body, then the key in it; accountStatus spells it "apikey".
    BOOST_TEST(ask(http::verb::post, "/task/openapi/status", "x").at("code") == 301);
    BOOST_TEST(ask(http::verb::post, "/uc/openapi/accountStatus", legacy()).at("code") == 802);
    BOOST_TEST(ask(http::verb::post, "/uc/openapi/accountStatus", legacy("apikey")).at("code") == 0);
    // GET v2 rows check the Bearer key themselves, with the legacy envelope.
    BOOST_TEST(ask(http::verb::get, "/openapi/v2/queue/status").at("code") == 1002);
    BOOST_TEST(ask(http::verb::get, "/openapi/v2/queue/status", {}, true).at("code") == 0);
}

BOOST_FIXTURE_TEST_CASE(unknown_routes, routes_fixture) {
    unsigned status = 0;
    ask(http::verb::get, "/openapi/v2/query", {}, true, nullptr, &status);
    BOOST_TEST(status == 405u);
    // A legacy path checks the key before it answers 404.
    BOOST_TEST(ask(http::verb::post, "/task/openapi/nothing", "{}", false, nullptr, &status).at("code") == 802);
    BOOST_TEST(ask(http::verb::post, "/task/openapi/nothing", legacy(), false, nullptr, &status).at("code") == 1001);
    BOOST_TEST(status == 404u);
    // Any other POST is checked as v2 first.
    BOOST_TEST(ask(http::verb::post, "/elsewhere", "{}").at("errorCode") == "1002");
    BOOST_TEST(ask(http::verb::post, "/elsewhere", "{}", true, nullptr, &status).at("code") == 1001);
    BOOST_TEST(status == 404u);
    // Under /openapi/v2/ an unknown name is a model endpoint that does not exist.
    BOOST_TEST(ask(http::verb::post, "/openapi/v2/no-such/model", R"({"prompt":"x"})", true).at("errorCode") == "1001");
}

BOOST_FIXTURE_TEST_CASE(submits_create_tasks, routes_fixture) {
    bool created = false;
    auto run = ask(http::verb::post, "/openapi/v2/run/ai-app/1877265245566922753",
                   R"({"nodeInfoList":[{"nodeId":"6","fieldName":"text","fieldValue":"a cat"}]})", true, &created);
    BOOST_TEST(created);
    BOOST_TEST(run.at("status") == "RUNNING");
    auto id = json::value_to<std::string>(run.at("taskId"));
    BOOST_TEST(id.size() == 19u);  // beyond 2^53
    auto q = ask(http::verb::post, "/openapi/v2/query", R"({"taskId":")" + id + R"("})", true, &created);
    BOOST_TEST(!created);
    BOOST_TEST(std::string_view(q.at("taskId").as_string()) == id);
    auto instant = ask(http::verb::post, "/openapi/v2/rhart-image-v1/instant", R"({"prompt":"x"})", true, &created);
    BOOST_TEST(created);
    BOOST_TEST(instant.at("status") == "SUCCESS");
    ask(http::verb::post, "/openapi/v2/rhart-image-v1/instant", R"({"prompt":1})", true, &created);
    BOOST_TEST(!created);
    BOOST_TEST(st.stats.tasks_created == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
