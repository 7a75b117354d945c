// SPDX-License-Identifier: BSL-1.0
#include "webhooks.hpp"
#include "io.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace runninghub::emu {
namespace {

// The legacy shape: eventData is the outputs envelope, as a JSON string.
std::string legacy_string_body(const std::string& id, json::object& v2, bool ok) {
    json::object env;
    if (ok) {
        json::array outputs;
        for (auto& r : v2["results"].as_array())
            outputs.push_back(json::object{{"fileUrl", r.at("url")},
                                           {"fileType", r.at("outputType")},
                                           {"taskCostTime", 0},
                                           {"nodeId", r.at("nodeId")}});
        env = {{"code", 0}, {"msg", "success"}, {"data", std::move(outputs)}};
    } else {
        env = {{"code", 805},
               {"msg", "APIKEY_TASK_STATUS_ERROR"},
               {"data", json::object{{"failedReason", v2["failedReason"]}}}};
    }
    return json::serialize(json::object{{"event", "TASK_END"}, {"taskId", id}, {"eventData", json::serialize(env)}});
}

// One exchange on a connected stream; true on 2xx.
template <class Stream>
asio::awaitable<bool> exchange(Stream& s, beast::tcp_stream& lowest, http::request<http::string_body>& req) {
    lowest.expires_after(std::chrono::seconds(5));
    auto [wec, wn] = co_await http::async_write(s, req, use_tuple);
    if (wec)
        co_return false;
    http::response<http::string_body> res;
    beast::flat_buffer buf;
    auto [rec, rn] = co_await http::async_read(s, buf, res, use_tuple);
    co_return !rec && res.result_int() / 100 == 2;
}

// One POST to an http(s) URL; true on 2xx. The receiver's certificate is not checked.
asio::awaitable<bool> post_once(const std::string& url, const std::string& body) {
    auto u = boost::urls::parse_uri(url);
    if (!u)
        co_return false;
    bool https = u->scheme() == "https";
    std::string host(u->host());
    std::string port = u->has_port() ? std::string(u->port()) : (https ? "443" : "80");
    std::string target(u->encoded_resource());
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    auto [rec, eps] = co_await resolver.async_resolve(host, port, use_tuple);
    if (rec)
        co_return false;
    http::request<http::string_body> req{http::verb::post, target.empty() ? "/" : target, 11};
    req.set(http::field::host, host + ":" + port);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "runninghub-emulator");
    req.body() = body;
    req.keep_alive(false);
    req.prepare_payload();
    beast::tcp_stream tcp_s(ex);
    tcp_s.expires_after(std::chrono::seconds(5));
    auto [cec, ep] = co_await tcp_s.async_connect(eps, use_tuple);
    if (cec)
        co_return false;
    if (!https)
        co_return co_await exchange(tcp_s, tcp_s, req);
    ssl::context client_ctx(ssl::context::tls_client);
    ssl::stream<beast::tcp_stream> tls(std::move(tcp_s), client_ctx);
    auto [hec] = co_await tls.async_handshake(ssl::stream_base::client, use_tuple);
    if (hec)
        co_return false;
    co_return co_await exchange(tls, tls.next_layer(), req);
}

} // namespace

std::string webhook_body(const state& st, const std::string& id, time_point now) {
    auto it = st.tasks.find(id);
    if (it == st.tasks.end())
        return {};
    auto v2 = st.task_json(id, it->second, now);
    bool ok = st.status_at(it->second, now) == task_status::success;
    switch (st.opts.webhook_format) {
    case webhook_shape::legacy_string: return legacy_string_body(id, v2, ok);
    case webhook_shape::object:
        return json::serialize(json::object{
            {"event", "TASK_END"},
            {"taskId", id},
            {"eventData", json::object{{"status", v2["status"]},
                                       {"results", v2["results"]},
                                       {"usage", v2["usage"]},
                                       {"errorCode", v2["errorCode"]},
                                       {"errorMessage", v2["errorMessage"]},
                                       {"failedReason", v2["failedReason"]}}}});
    case webhook_shape::wrapped:
        return json::serialize(json::object{
            {"code", 0},
            {"msg", "success"},
            {"data", json::object{{"taskId", id}, {"status", v2["status"]}, {"results", v2["results"]}}}});
    case webhook_shape::flat:
        return json::serialize(json::object{{"taskId", id}, {"status", v2["status"]}, {"results", v2["results"]}});
    }
    return {};
}

void webhooks::schedule(std::string id, std::string url, time_point at) {
    asio::co_spawn(ex_, deliver(std::move(id), std::move(url), at), asio::detached);
}

asio::awaitable<bool> webhooks::attempt(const std::string& id, const std::string& url, const std::string& body,
                                        unsigned n, unsigned attempts) {
    bool ok = co_await post_once(url, body);
    auto lk = st_.lock();
    ++(ok ? st_.stats.webhooks_delivered : st_.stats.webhooks_failed_attempts);
    if (!ok && n == attempts)
        ++st_.stats.webhooks_given_up;
    if (auto it = st_.tasks.find(id); it != st_.tasks.end()) {
        auto& t = it->second;
        t.callback_status = ok ? "SUCCESS" : n == attempts ? "FAILED" : "RETRYING";
        t.callback_response = ok ? "HTTP 2xx" : "no 2xx answer from " + url;
        t.retry_count = n - 1;
        t.webhook_updated = wall_time();
    }
    co_return ok;
}

asio::awaitable<void> webhooks::deliver(std::string id, std::string url, time_point at) {
    asio::steady_timer timer(co_await asio::this_coro::executor, at);
    co_await timer.async_wait(use_tuple);
    std::string body;
    int copies = 1;
    {
        auto lk = st_.lock();
        body = webhook_body(st_, id, clock::now());
        if (st_.draw() < st_.opts.webhook_loss_rate) {
            ++st_.stats.webhooks_lost;
            co_return;
        }
        if (st_.draw() < st_.opts.webhook_duplicate_rate) {
            ++st_.stats.webhooks_duplicated;
            copies = 2;
        }
    }
    unsigned attempts = std::max(1u, st_.opts.webhook_attempts);
    for (int copy = 0; copy < copies; ++copy) {
        bool ok = false;
        for (unsigned n = 1; n <= attempts && !ok; ++n) {
            ok = co_await attempt(id, url, body, n, attempts);
            if (!ok && n < attempts) {
                timer.expires_after(st_.opts.webhook_retry_delay * n);
                co_await timer.async_wait(use_tuple);
            }
        }
        if (!ok)
            break;
        if (copy + 1 < copies) {
            timer.expires_after(st_.opts.webhook_retry_delay);
            co_await timer.async_wait(use_tuple);
        }
    }
}

} // namespace runninghub::emu
