// SPDX-License-Identifier: BSL-1.0
#include "faults.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <sys/socket.h>

namespace asio = boost::asio;

namespace runninghub {

std::string_view to_string(fault_kind k) noexcept {
    switch (k) {
    case fault_kind::http_502: return "http_502";
    case fault_kind::http_503_empty: return "http_503_empty";
    case fault_kind::http_503_html: return "http_503_html";
    case fault_kind::http_429: return "http_429";
    case fault_kind::busy_1003: return "busy_1003";
    case fault_kind::busy_1011: return "busy_1011";
    case fault_kind::drop_before_processing: return "drop_before_processing";
    case fault_kind::drop_after_processing: return "drop_after_processing";
    case fault_kind::delay: return "delay";
    case fault_kind::malformed_json: return "malformed_json";
    case fault_kind::connection_close: return "connection_close";
    case fault_kind::truncated_body: return "truncated_body";
    case fault_kind::close_after_answer: return "close_after_answer";
    case fault_kind::echo_request: return "echo_request";
    case fault_kind::wrong_task_id: return "wrong_task_id";
    case fault_kind::unsolicited_answer: return "unsolicited_answer";
    case fault_kind::http_500_with_answer: return "http_500_with_answer";
    case fault_kind::early_hints: return "early_hints";
    }
    return "unknown";
}

namespace emu {
namespace {

// The client gave up (closed its end) while a delayed answer was "worked on".
bool peer_gone(boost::beast::tcp_stream& s) {
    char b;
    ssize_t n = ::recv(s.socket().native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

bool is_5xx(fault_kind k) {
    return k == fault_kind::http_502 || k == fault_kind::http_503_empty || k == fault_kind::http_503_html ||
           k == fault_kind::echo_request;
}

// The request as an echoing proxy or a verbose error page quotes it: the head
// (with its Authorization line) and the body (with an apiKey member, if any).
std::string quoted_request(const request_t& req) {
    std::string s(req.method_string());
    s.append(" ").append(req.target()).append(" HTTP/1.1\r\n");
    for (auto& f : req)
        s.append(f.name_string()).append(": ").append(f.value()).append("\r\n");
    return s.append("\r\n").append(req.body());
}

// Another task's id in place of the answer's own (the first taskId member).
void replace_task_id(std::string& body) {
    static constexpr std::string_view key = "\"taskId\":\"";
    auto p = body.find(key);
    if (p == std::string::npos)
        return;
    p += key.size();
    auto e = body.find('"', p);
    if (e != std::string::npos)
        body.replace(p, e - p, "1234567890123456789");
}

} // namespace

std::string unsolicited_answer_text() {
    std::string body = R"({"taskId":"1111111111111111111","status":"RUNNING","errorCode":"","errorMessage":"",)"
                       R"("results":null,"clientId":"emulator","promptTips":"{}","failedReason":{},"usage":{}})";
    return "HTTP/1.1 200 OK\r\nServer: runninghub-emulator\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

void faults::set(std::vector<fault> list) {
    auto lk = st_.lock();
    list_ = std::move(list);
}

std::optional<fault> faults::pick(std::string_view target) {
    auto lk = st_.lock();
    for (auto& f : list_) {
        if (f.max_count == 0)
            continue;
        if (!f.path_filter.empty() && target.find(f.path_filter) == std::string_view::npos)
            continue;
        if (st_.draw() >= f.probability)
            continue;
        --f.max_count;
        ++st_.stats.faults[std::string(to_string(f.kind))];
        return f;
    }
    return std::nullopt;
}

bool faults::answer_without_processing(const fault& f, response_t& res) {
    auto html = [&](http::status st, const char* text) {
        res.result(st);
        res.set(http::field::content_type, "text/html");
        res.body() = std::string("<html><body><h1>") + text + "</h1></body></html>";
    };
    auto busy = [&](int code, const char* msg) {
        res.result(http::status::ok);
        res.set(http::field::content_type, "application/json");
        res.body() = json::serialize(json::object{{"code", code}, {"msg", msg}, {"data", nullptr}});
    };
    switch (f.kind) {
    case fault_kind::http_502: html(http::status::bad_gateway, "502 Bad Gateway"); return true;
    case fault_kind::http_503_html: html(http::status::service_unavailable, "503 Service Unavailable"); return true;
    case fault_kind::http_503_empty: res.result(http::status::service_unavailable); return true;
    case fault_kind::http_429:
        html(http::status::too_many_requests, "429 Too Many Requests");
        res.set(http::field::retry_after, std::to_string(f.retry_after_seconds));
        return true;
    case fault_kind::busy_1003: busy(1003, "Rate limit exceeded"); return true;
    case fault_kind::busy_1011: busy(1011, "System is currently busy"); return true;
    default: return false;
    }
}

void faults::destroyed(bool create, bool created) {
    if (!create)
        return;
    auto lk = st_.lock();
    ++(created ? st_.stats.creates_answer_lost : st_.stats.creates_lost_without_task);
}

asio::awaitable<after_fault> faults::apply(const request_t& req, response_t& res, boost::beast::tcp_stream& lowest,
                                           std::function<bool()> process) {
    auto f = pick(req.target());
    bool create = req.target().starts_with("/openapi/v2/run/");
    if (create && f) {
        auto lk = st_.lock();
        ++st_.stats.create_faults[std::string(to_string(f->kind))];
    }
    if (f && f->kind == fault_kind::drop_before_processing) {
        destroyed(create, false);
        co_return after_fault::drop;
    }
    bool answer_lost = false;
    if (f && f->kind == fault_kind::delay) {
        asio::steady_timer t(co_await asio::this_coro::executor, f->delay);
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        answer_lost = peer_gone(lowest);
    }
    if (f && f->kind == fault_kind::echo_request) {
        auto quoted = quoted_request(req);
        res.result(http::status::bad_gateway);
        res.set(http::field::content_type, "application/json");
        res.body() = json::serialize(json::object{{"code", 1005}, {"msg", "upstream rejected: " + quoted},
                                                  {"data", json::object{{"request", quoted}}}});
        destroyed(create, false);
        co_return after_fault::answer;
    }
    if (f && !f->after_processing && answer_without_processing(*f, res)) {
        if (is_5xx(f->kind))
            destroyed(create, false);
        co_return after_fault::answer;
    }
    bool created = process();
    if (f && f->after_processing) {
        res.body().clear();
        res.erase(http::field::content_type);
        if (answer_without_processing(*f, res)) {
            destroyed(create, created);  // the task exists; its answer says something else
            co_return after_fault::answer;
        }
    }
    // A client that timed out on its own (a slow machine, not a fault) has already
    // closed: the task exists but its answer reaches nobody.
    if (create && created && !answer_lost)
        answer_lost = peer_gone(lowest);
    bool dropped = f && f->kind == fault_kind::drop_after_processing;
    if (f && f->kind == fault_kind::malformed_json) {
        res.body() = res.body().substr(0, res.body().size() / 2);
        answer_lost = true;
    }
    if (dropped || answer_lost)
        destroyed(create, created);
    if (dropped)
        co_return after_fault::drop;
    if (f && f->kind == fault_kind::wrong_task_id)
        replace_task_id(res.body());
    if (f && f->kind == fault_kind::http_500_with_answer) {
        res.result(http::status::internal_server_error);
        destroyed(create, created);  // the task exists; its answer is a server error's
    }
    if (f && f->kind == fault_kind::close_after_answer)
        co_return after_fault::answer_then_close;
    if (f && f->kind == fault_kind::unsolicited_answer)
        co_return after_fault::answer_twice;
    if (f && f->kind == fault_kind::early_hints)
        co_return after_fault::interim_first;
    co_return f && f->kind == fault_kind::connection_close ? after_fault::close : after_fault::answer;
}

} // namespace emu
} // namespace runninghub
