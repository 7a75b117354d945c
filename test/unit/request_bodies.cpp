// SPDX-License-Identifier: BSL-1.0
// Issue 12: encode_run_body writes its JSON directly; these check that it writes
// the very bytes json::serialize wrote for the DOM it used to build.
#include "codec/codec.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace request_bodies_test {
namespace rh = runninghub;
namespace json = boost::json;

// The DOM encoding this replaced, kept as the reference.
std::string dom_run_body(const std::vector<rh::node_input>& inputs, const rh::run_options& opts, bool workflow) {
    json::array list;
    for (auto& in : inputs) {
        json::object item;
        item["nodeId"] = in.node_id;
        item["fieldName"] = in.field_name;
        item["fieldValue"] = in.field_value;
        if (!in.description.empty())
            item["description"] = in.description;
        list.push_back(std::move(item));
    }
    json::object body;
    body["nodeInfoList"] = std::move(list);
    if (!opts.instance_type.empty())
        body["instanceType"] = opts.instance_type;
    if (opts.use_personal_queue)
        body["usePersonalQueue"] = *opts.use_personal_queue;
    if (!opts.webhook_url.empty())
        body["webhookUrl"] = opts.webhook_url;
    if (workflow) {
        if (!opts.workflow_json.empty())
            body["workflow"] = opts.workflow_json;
        if (opts.add_metadata)
            body["addMetadata"] = *opts.add_metadata;
    }
    return json::serialize(body);
}

// Every byte value once, the tricky ones (quotes, backslash, control characters, DEL, UTF-8 and bytes
// that are not UTF-8) among ordinary text.
std::vector<std::string> tricky_strings() {
    std::string every;
    for (int c = 0; c < 256; ++c)
        every += static_cast<char>(c);
    return {"", "plain", "a \"quoted\" word", "back\\slash\\", "tab\tnew\nline\r\f\b", std::string("nul\0in", 6),
            "\x01\x1f\x7f", "</script>/", "中文 é 🎨 ünïcödé", "\xff\xfe\xc3", every, R"({"json":"as text"})"};
}

void same_as_dom(const std::vector<rh::node_input>& inputs, const rh::run_options& o) {
    for (bool wf : {false, true})
        BOOST_TEST(rh::detail::encode_run_body(inputs, o, wf) == dom_run_body(inputs, o, wf));
}
} // namespace request_bodies_test

BOOST_AUTO_TEST_SUITE(request_bodies)

BOOST_AUTO_TEST_CASE(run_bodies_are_the_bytes_the_json_dom_serialized) {
    using namespace request_bodies_test;
    namespace json = boost::json;
    auto strings = tricky_strings();
    for (auto& s : strings) {
        std::vector<rh::node_input> inputs{{s, s, json::value(s), s}, {"1", "text", json::value(s)}};
        rh::run_options o;
        same_as_dom(inputs, o);
        o.instance_type = s;
        o.webhook_url = s;
        o.workflow_json = s;
        o.use_personal_queue = true;
        o.add_metadata = false;
        same_as_dom(inputs, o);
    }
    // Values of every JSON kind, and no inputs at all.
    std::vector<rh::node_input> kinds{{"1", "i", json::value(-42)}, {"2", "u", json::value(18446744073709551615ull)},
                                      {"3", "d", json::value(0.1)}, {"4", "b", json::value(true)},
                                      {"5", "n", json::value(nullptr)},
                                      {"6", "o", json::parse(R"({"a":[1,"x\n",{"b":null}]})")},
                                      {"7", "e", json::value(1e300)}};
    rh::run_options o;
    o.use_personal_queue = false;
    o.add_metadata = true;
    same_as_dom(kinds, o);
    same_as_dom({}, {});
    same_as_dom({}, o);
}

BOOST_AUTO_TEST_SUITE_END()
