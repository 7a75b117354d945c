// SPDX-License-Identifier: BSL-1.0
#include "core/origin.hpp"

#include "../print.hpp"
#include <runninghub/error.hpp>
#include <runninghub/options.hpp>
#include <runninghub/task.hpp>
#include <runninghub/with_diagnostics.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>

using namespace runninghub;

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(every_service_code_has_a_name) {
    for (int code : {1, 301, 380, 401, 412, 415, 416, 421, 423, 433, 435, 436, 500, 801, 802, 803, 804, 805, 806, 807,
                     808, 809, 810, 811, 812, 813, 814, 901, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008,
                     1009, 1010, 1011, 1012, 1013, 1014, 1015, 1101, 1501, 1504, 1505, 1520}) {
        error_code ec(code, category());
        BOOST_TEST(ec.message().find("service error") == std::string::npos, "code " << code);
    }
    BOOST_TEST(error_code(4242, category()).message() == "service error 4242");
    BOOST_TEST(std::string(category().name()) == "runninghub");
}

BOOST_AUTO_TEST_CASE(retryable_and_backpressure) {
    for (auto e : {errc::task_queue_maxed, errc::task_instance_maxed, errc::rate_limit_exceeded,
                   errc::service_unavailable, errc::system_busy, errc::http_too_many_requests}) {
        BOOST_TEST(is_backpressure(e));
        BOOST_TEST(is_retryable(e));
    }
    for (auto e : {errc::http_server_error, errc::read_timeout, errc::connect_timeout, errc::protocol_error})
        BOOST_TEST(is_retryable(e));
    for (auto e : {errc::invalid_api_key, errc::apikey_unauthorized, errc::webapp_not_exists, errc::task_failed,
                   errc::submit_outcome_unknown, errc::wallet_insufficient, errc::content_verification_failed,
                   errc::invalid_options}) {
        BOOST_TEST(!is_retryable(e));
        BOOST_TEST(!is_backpressure(e));
    }
    BOOST_TEST(is_retryable(boost::asio::error::connection_refused));
    BOOST_TEST(is_retryable(boost::asio::error::connection_reset));
    BOOST_TEST(!is_retryable(boost::asio::error::operation_aborted));
    BOOST_TEST(!is_retryable(error_code{}));
}

BOOST_AUTO_TEST_CASE(diagnostics_text) {
    diagnostics d;
    d.endpoint = "POST /openapi/v2/query";
    d.http_status = 502;
    d.server_message = "bad";
    auto s = d.to_string();
    BOOST_TEST(s.find("POST /openapi/v2/query") != std::string::npos);
    BOOST_TEST(s.find("HTTP 502") != std::string::npos);
    error e(make_error_code(errc::http_server_error), d);
    BOOST_TEST(std::string(e.what()).find("HTTP 502") != std::string::npos);
    BOOST_TEST(e.code() == errc::http_server_error);
}

BOOST_AUTO_TEST_CASE(every_code_is_in_at_most_one_family_and_the_families_catch_by_kind) {
    using C = condition;
    auto in = [](error_code ec, C c) { return ec == c; };
    BOOST_TEST(in(errc::invalid_api_key, C::authentication));
    BOOST_TEST(in(errc::missing_api_key, C::authentication));
    BOOST_TEST(in(errc::wallet_insufficient, C::balance));
    BOOST_TEST(in(errc::webapp_not_exists, C::not_found));
    BOOST_TEST(in(errc::apikey_task_not_found, C::not_found));
    BOOST_TEST(in(errc::node_info_error, C::invalid_input));
    BOOST_TEST(in(errc::invalid_options, C::invalid_input));
    BOOST_TEST(in(errc::task_queue_maxed, C::backpressure));
    BOOST_TEST(in(errc::apikey_task_is_running, C::backpressure));
    BOOST_TEST(in(errc::http_too_many_requests, C::backpressure));
    BOOST_TEST(in(errc::read_timeout, C::transient));
    BOOST_TEST(in(errc::internal_server_error, C::transient));
    BOOST_TEST(in(boost::asio::error::connection_reset, C::transient));
    // Outside every family: a submit whose outcome is unknown is not "try again".
    for (auto ec : {make_error_code(errc::submit_outcome_unknown), make_error_code(errc::task_failed),
                    error_code(boost::asio::error::operation_aborted), error_code()})
        for (int c = 1; c <= 6; ++c)
            BOOST_TEST(!in(ec, static_cast<C>(c)), ec.message() << " in family " << c);
    // Each code of ours in at most one family; backpressure and transient never both.
    for (int v = 1; v < 20100; ++v) {
        error_code ec(v, category());
        int n = 0;
        for (int c = 1; c <= 6; ++c)
            n += in(ec, static_cast<C>(c));
        BOOST_TEST(n <= 1, "code " << v << " in " << n << " families");
    }
    BOOST_TEST(make_error_condition(C::balance).message().find("balance") == 0u);
}

// with_diagnostics over an operation of the user's own that completes with an
// lvalue (async_compose's self.complete(ec, member)): the adapter takes its
// value by reference and copies an lvalue.
BOOST_AUTO_TEST_CASE(with_diagnostics_takes_an_lvalue_result) {
    namespace asio = boost::asio;
    auto op = [](error_code ec, auto token) {
        return asio::async_initiate<decltype(token), void(error_code, task)>(
            [ec](auto h) {
                task kept;
                kept.id = "1900000000000000001";
                kept.diag.server_code = "1004";
                std::move(h)(ec, kept);  // an lvalue
                BOOST_TEST(kept.id == "1900000000000000001");  // copied, not moved from
            },
            token);
    };
    BOOST_TEST(op(error_code{}, with_diagnostics(asio::use_future)).get().id == "1900000000000000001");
    auto failed = op(make_error_code(errc::protocol_error), with_diagnostics(asio::use_future));
    BOOST_CHECK_EXCEPTION(failed.get(), error, [](const error& e) {
        return e.diag().server_code == "1004" && e.task_id() == "1900000000000000001";
    });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(options)

BOOST_AUTO_TEST_CASE(origins) {
    detail::origin o;
    BOOST_TEST(!detail::parse_origin("https://www.runninghub.cn", o));
    BOOST_TEST(o.tls);
    BOOST_TEST(o.host == "www.runninghub.cn");
    BOOST_TEST(o.port == "443");
    BOOST_TEST(o.host_header() == "www.runninghub.cn");
    BOOST_TEST(!detail::parse_origin("http://127.0.0.1:8080/proxy/", o));
    BOOST_TEST(!o.tls);
    BOOST_TEST(o.port == "8080");
    BOOST_TEST(o.path_prefix == "/proxy");
    BOOST_TEST(o.host_header() == "127.0.0.1:8080");
    BOOST_TEST(o.host_is_ip());
    BOOST_TEST(!detail::parse_origin("https://[::1]:9443", o));
    BOOST_TEST(o.host == "::1");
    BOOST_TEST(o.host_header() == "[::1]:9443");
    std::string why;
    BOOST_TEST(detail::parse_origin("ftp://x", o, &why) == errc::invalid_base_url);
    BOOST_TEST(why.find("scheme") != std::string::npos);
    BOOST_TEST(detail::parse_origin("www.runninghub.cn", o) == errc::invalid_base_url);
    BOOST_TEST(detail::parse_origin("https://", o) == errc::invalid_base_url);
    BOOST_TEST(detail::parse_origin("https://user:pw@host", o) == errc::invalid_base_url);
    BOOST_TEST(detail::parse_origin("https://host/?q=1", o) == errc::invalid_base_url);
}

BOOST_AUTO_TEST_CASE(validation_names_the_problem) {
    client_options o;
    std::string why;
    BOOST_TEST(o.validate(&why) == errc::missing_api_key);
    o.api_key = "0123456789abcdef0123456789abcdef";
    BOOST_TEST(!o.validate());
    o.base_url = "nonsense";
    BOOST_TEST(o.validate(&why) == errc::invalid_base_url);
    BOOST_TEST(why.find("nonsense") != std::string::npos);
    o.base_url = "https://www.runninghub.ai";
    o.pool.max_connections = 0;
    BOOST_TEST(o.validate(&why) == errc::invalid_options);
    BOOST_TEST(why.find("max_connections") != std::string::npos);
    o.pool.max_connections = 4;
    o.poll.jitter = 2;
    BOOST_TEST(o.validate(&why) == errc::invalid_options);
    o.poll.jitter = 0.1;
    o.ca_file = "/nonexistent/ca.pem";
    BOOST_TEST(o.validate(&why) == errc::invalid_options);
    BOOST_TEST(why.find("/nonexistent/ca.pem") != std::string::npos);
    o.ca_file.clear();
    o.api_key = "bad key";
    BOOST_TEST(o.validate(&why) == errc::invalid_options);
    BOOST_TEST(why.find("bad key") == std::string::npos);  // the key is never echoed
    // Escaped in a JSON echo (\" \\), such a key would not be found whole by the scrubber.
    for (auto key : {"0123456789abcdef\"123456789abcdef", "0123456789abcdef\\123456789abcdef"}) {
        o.api_key = key;
        BOOST_TEST(o.validate(&why) == errc::invalid_options, key);
        BOOST_TEST(why.find("quote or a backslash") != std::string::npos, why);
    }
}

// Issue 11 item 6: port 99999 wrapped to 34463 (and got the key); http:// sent it in cleartext.
BOOST_AUTO_TEST_CASE(ports_are_checked_and_cleartext_only_on_loopback) {
    detail::origin o;
    std::string why;
    for (auto url : {"https://h:99999", "https://h:65536", "https://h:0", "https://h:", "https://h:000001234"}) {
        BOOST_TEST(detail::parse_origin(url, o, &why) == errc::invalid_base_url, url);
        BOOST_TEST(why.find("port") != std::string::npos, why);
    }
    BOOST_TEST(why.find("000001234") != std::string::npos, why);  // the port as written is named
    BOOST_TEST(!detail::parse_origin("https://h:65535", o));
    BOOST_TEST(o.port == "65535");
    BOOST_TEST(!detail::parse_origin("https://h:1", o));

    client_options c;
    c.api_key = "0123456789abcdef0123456789abcdef";
    for (auto url : {"http://127.0.0.1:8080", "http://127.5.6.7", "http://localhost:1", "http://LocalHost",
                     "http://[::1]:80", "http://[0:0:0:0:0:0:0:1]"}) {
        c.base_url = url;
        BOOST_TEST(!c.validate(&why), url << ": " << why);
    }
    for (auto url : {"http://www.runninghub.cn", "http://10.0.0.1:8080", "http://128.0.0.1", "http://[::2]",
                     "http://localhost.example.com"}) {
        c.base_url = url;
        BOOST_TEST(c.validate(&why) == errc::invalid_base_url, url);
        BOOST_TEST(why.find("cleartext") != std::string::npos, why);
        BOOST_TEST(why.find(url) != std::string::npos, why);
    }
    c.allow_insecure_http = true;
    BOOST_TEST(!c.validate(&why));
    c.base_url = "https://www.runninghub.cn:99999";
    BOOST_TEST(c.validate(&why) == errc::invalid_base_url);
    BOOST_TEST(why.find("99999") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(from_env) {
    ::unsetenv("RUNNINGHUB_API_KEY");
    BOOST_CHECK_EXCEPTION(client_options::from_env(), error,
                          [](const error& e) { return e.code() == errc::missing_api_key; });
    ::setenv("RUNNINGHUB_API_KEY", "0123456789abcdef0123456789abcdef", 1);
    ::setenv("RUNNINGHUB_BASE_URL", "https://www.runninghub.ai", 1);
    auto o = client_options::from_env();
    BOOST_TEST(o.base_url == "https://www.runninghub.ai");
    ::setenv("RUNNINGHUB_BASE_URL", "http://www.runninghub.ai", 1);  // cleartext to a remote host
    BOOST_CHECK_EXCEPTION(client_options::from_env(), error, [](const error& e) {
        return e.code() == errc::invalid_base_url && std::string(e.what()).find("cleartext") != std::string::npos;
    });
    ::setenv("RUNNINGHUB_BASE_URL", "ht!tp://bad", 1);
    BOOST_CHECK_EXCEPTION(client_options::from_env(), error, [](const error& e) {
        return e.code() == errc::invalid_base_url &&
               std::string(e.what()).find("0123456789abcdef0123456789abcdef") == std::string::npos;
    });
    ::unsetenv("RUNNINGHUB_BASE_URL");
    ::unsetenv("RUNNINGHUB_API_KEY");
}

BOOST_AUTO_TEST_SUITE_END()
