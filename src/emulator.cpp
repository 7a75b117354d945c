#include <runninghub/emulator.hpp>
#include <runninghub/models.hpp>

#include "detail/cert.hpp"
#include "detail/codec.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <mutex>
#include <sys/socket.h>
#include <set>
#include <random>
#include <thread>
#include <unordered_map>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

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
    }
    return "unknown";
}

std::uint64_t emulator_counters::total_requests() const {
    std::uint64_t n = 0;
    for (auto& [k, v] : requests)
        n += v;
    return n;
}

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using request_t = http::request<http::string_body>;
using response_t = http::response<http::string_body>;

struct emu_task {
    std::string key;
    time_point created;
    bool fail = false;
    bool cancelled = false;
    std::string webhook_url;
};

} // namespace

struct emulator::impl {
    explicit impl(emulator_options o)
        : opts(std::move(o)), ctx(ssl::context::tls_server), acceptor(io), rng(opts.seed), faults(opts.faults) {
        if (opts.tls) {
            auto cert = detail::make_certificate(opts.certificate_name);
            ca = cert.ca_pem;
            ctx.use_certificate_chain(asio::buffer(cert.cert_pem));
            ctx.use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
            SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
        }
        tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), opts.port);
        acceptor.open(ep.protocol());
        acceptor.set_option(asio::socket_base::reuse_address(true));
        acceptor.bind(ep);
        acceptor.listen(asio::socket_base::max_listen_connections);
        port = acceptor.local_endpoint().port();
        base = std::string(opts.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port);
        asio::co_spawn(io, accept_loop(), asio::detached);
        for (unsigned i = 0; i < std::max(1u, opts.threads); ++i)
            threads.emplace_back([this] { io.run(); });
    }

    ~impl() { stop(); }

    void stop() {
        std::call_once(stopped, [this] {
            io.stop();
            for (auto& t : threads)
                t.join();
        });
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor.async_accept(use_tuple);
            if (ec) {
                if (ec == asio::error::operation_aborted)
                    co_return;
                continue;
            }
            {
                std::lock_guard lk(mu);
                ++stats.connections;
            }
            asio::co_spawn(acceptor.get_executor(), session(std::move(sock)), asio::detached);
        }
    }

    asio::awaitable<void> session(tcp::socket sock) {
        sock.set_option(tcp::no_delay(true));
        if (opts.tls) {
            ssl::stream<beast::tcp_stream> s(beast::tcp_stream(std::move(sock)), ctx);
            s.next_layer().expires_after(std::chrono::seconds(10));
            auto [ec] = co_await s.async_handshake(ssl::stream_base::server, use_tuple);
            if (ec)
                co_return;
            co_await serve(s, s.next_layer());
        } else {
            beast::tcp_stream s(std::move(sock));
            co_await serve(s, s);
        }
    }

    // Picks at most one fault for this request.
    std::optional<fault> pick_fault(std::string_view target) {
        std::lock_guard lk(mu);
        for (auto& f : faults) {
            if (f.max_count == 0)
                continue;
            if (!f.path_filter.empty() && target.find(f.path_filter) == std::string_view::npos)
                continue;
            if (std::uniform_real_distribution<double>(0, 1)(rng) >= f.probability)
                continue;
            --f.max_count;
            ++stats.faults[std::string(to_string(f.kind))];
            return f;
        }
        return std::nullopt;
    }

    template <class Stream>
    asio::awaitable<void> serve(Stream& s, beast::tcp_stream& lowest) {
        beast::flat_buffer buffer;
        std::size_t served = 0;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(64u << 20);
            lowest.expires_after(opts.keep_alive_idle);
            auto [ec, n] = co_await http::async_read(s, buffer, parser, use_tuple);
            if (ec)
                break;
            lowest.expires_never();
            request_t req = parser.release();
            count(req);
            struct in_progress_guard {
                impl* self;
                ~in_progress_guard() {
                    std::lock_guard lk(self->mu);
                    --self->stats.in_progress;
                }
            } guard{this};
            auto f = pick_fault(req.target());
            response_t res;
            res.version(11);
            res.set(http::field::server, "runninghub-emulator");
            bool keep_alive = req.keep_alive();
            bool create = req.target().starts_with("/openapi/v2/run/");
            if (create && f) {
                std::lock_guard lk(mu);
                ++stats.create_faults[std::string(to_string(f->kind))];
            }
            // For submits, account for every answer a fault destroys: with or
            // without a task behind it (the chaos test checks the client against this).
            auto answer_destroyed = [&](bool created) {
                if (!create)
                    return;
                std::lock_guard lk(mu);
                ++(created ? stats.creates_answer_lost : stats.creates_lost_without_task);
            };
            if (f && f->kind == fault_kind::drop_before_processing) {
                answer_destroyed(false);
                break;
            }
            bool answer_lost = false;
            if (f && f->kind == fault_kind::delay) {
                asio::steady_timer t(co_await asio::this_coro::executor, f->delay);
                co_await t.async_wait(use_tuple);
                answer_lost = peer_gone(lowest);  // the client gave up while we "worked"
            }
            if (!f || !answer_without_processing(*f, res)) {
                bool created = handle(req, res);
                bool dropped = f && f->kind == fault_kind::drop_after_processing;
                if (f && f->kind == fault_kind::malformed_json) {
                    res.body() = res.body().substr(0, res.body().size() / 2);
                    answer_lost = true;
                }
                if (dropped || answer_lost)
                    answer_destroyed(created);
                if (dropped)
                    break;
                if (f && f->kind == fault_kind::connection_close)
                    keep_alive = false;
            } else if (f->kind == fault_kind::http_502 || f->kind == fault_kind::http_503_empty ||
                       f->kind == fault_kind::http_503_html) {
                answer_destroyed(false);
            }
            ++served;
            if (opts.keep_alive_max_requests && served >= opts.keep_alive_max_requests)
                keep_alive = false;
            res.keep_alive(keep_alive);
            res.prepare_payload();
            lowest.expires_after(std::chrono::seconds(30));
            auto [wec, wn] = co_await http::async_write(s, res, use_tuple);
            if (wec || !keep_alive)
                break;
        }
        error_code ignored;
        lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest.socket().close(ignored);
    }

    static bool peer_gone(beast::tcp_stream& s) {
        char b;
        ssize_t n = ::recv(s.socket().native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }

    static bool answer_without_processing(const fault& f, response_t& res) {
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

    void count(const request_t& req) {
        std::lock_guard lk(mu);
        ++stats.in_progress;
        ++stats.requests[endpoint_of(req)];
    }

    static std::string endpoint_of(const request_t& req) {
        std::string_view t = req.target();
        if (auto q = t.find('?'); q != std::string_view::npos)
            t = t.substr(0, q);
        for (std::string_view prefix : {"/openapi/v2/run/ai-app/", "/openapi/v2/run/workflow/", "/files/"})
            if (t.starts_with(prefix))
                t = prefix.substr(0, prefix.size() - 1);
        return std::string(req.method_string()) + " " + std::string(t);
    }

    // --- webhooks
    std::string webhook_body(const std::string& id) {
        std::lock_guard lk(mu);
        auto it = tasks.find(id);
        if (it == tasks.end())
            return {};
        auto now = clock::now();
        auto v2 = task_json(id, it->second, now);
        bool ok = status_at(it->second, now) == task_status::success;
        switch (opts.webhook_format) {
        case webhook_shape::legacy_string: {
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
            return json::serialize(
                json::object{{"event", "TASK_END"}, {"taskId", id}, {"eventData", json::serialize(env)}});
        }
        case webhook_shape::object:
            return json::serialize(json::object{{"event", "TASK_END"},
                                                {"taskId", id},
                                                {"eventData", json::object{{"status", v2["status"]},
                                                                           {"results", v2["results"]},
                                                                           {"usage", v2["usage"]}}}});
        case webhook_shape::wrapped:
            return json::serialize(json::object{
                {"code", 0},
                {"msg", "success"},
                {"data", json::object{{"taskId", id}, {"status", v2["status"]}, {"results", v2["results"]}}}});
        case webhook_shape::flat:
            return json::serialize(
                json::object{{"taskId", id}, {"status", v2["status"]}, {"results", v2["results"]}});
        }
        return {};
    }

    // One POST to an http(s) URL; true on 2xx.
    asio::awaitable<bool> post_once(const std::string& url, const std::string& body) {
        auto u = boost::urls::parse_uri(url);
        if (!u)
            co_return false;
        bool https = u->scheme() == "https";
        std::string host(u->host());
        std::string port = u->has_port() ? std::string(u->port()) : (https ? "443" : "80");
        std::string target(u->encoded_resource());
        if (target.empty())
            target = "/";
        auto ex = co_await asio::this_coro::executor;
        tcp::resolver resolver(ex);
        auto [rec, eps] = co_await resolver.async_resolve(host, port, use_tuple);
        if (rec)
            co_return false;
        http::request<http::string_body> req{http::verb::post, target, 11};
        req.set(http::field::host, host + ":" + port);
        req.set(http::field::content_type, "application/json");
        req.set(http::field::user_agent, "runninghub-emulator");
        req.body() = body;
        req.keep_alive(false);
        req.prepare_payload();
        http::response<http::string_body> res;
        beast::flat_buffer buf;
        auto exchange = [&](auto& stream, beast::tcp_stream& lowest) -> asio::awaitable<bool> {
            lowest.expires_after(std::chrono::seconds(5));
            auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
            if (wec)
                co_return false;
            auto [rdec, rn] = co_await http::async_read(stream, buf, res, use_tuple);
            co_return !rdec && res.result_int() / 100 == 2;
        };
        beast::tcp_stream tcp_s(ex);
        tcp_s.expires_after(std::chrono::seconds(5));
        auto [cec, ep] = co_await tcp_s.async_connect(eps, use_tuple);
        if (cec)
            co_return false;
        if (!https)
            co_return co_await exchange(tcp_s, tcp_s);
        ssl::context client_ctx(ssl::context::tls_client);  // the receiver's certificate is not checked here
        ssl::stream<beast::tcp_stream> tls(std::move(tcp_s), client_ctx);
        auto [hec] = co_await tls.async_handshake(ssl::stream_base::client, use_tuple);
        if (hec)
            co_return false;
        co_return co_await exchange(tls, tls.next_layer());
    }

    asio::awaitable<void> deliver_webhook(std::string id, std::string url, time_point at) {
        asio::steady_timer timer(co_await asio::this_coro::executor, at);
        co_await timer.async_wait(use_tuple);
        std::string body = webhook_body(id);
        int copies = 1;
        {
            std::lock_guard lk(mu);
            std::uniform_real_distribution<double> u(0, 1);
            if (u(rng) < opts.webhook_loss_rate) {
                ++stats.webhooks_lost;
                co_return;
            }
            if (u(rng) < opts.webhook_duplicate_rate) {
                ++stats.webhooks_duplicated;
                copies = 2;
            }
        }
        for (int copy = 0; copy < copies; ++copy) {
            bool ok = false;
            unsigned attempts = std::max(1u, opts.webhook_attempts);
            for (unsigned attempt = 1; attempt <= attempts && !ok; ++attempt) {
                ok = co_await post_once(url, body);
                {
                    std::lock_guard lk(mu);
                    ++(ok ? stats.webhooks_delivered : stats.webhooks_failed_attempts);
                    if (!ok && attempt == attempts)
                        ++stats.webhooks_given_up;
                }
                if (!ok && attempt < attempts) {
                    timer.expires_after(opts.webhook_retry_delay * attempt);
                    co_await timer.async_wait(use_tuple);
                }
            }
            if (!ok)
                break;
            if (copy + 1 < copies) {
                timer.expires_after(opts.webhook_retry_delay);
                co_await timer.async_wait(use_tuple);
            }
        }
    }

    // --- the service. The answer helpers return false: "no task was created".
    static bool json_answer(response_t& res, const json::value& v) {
        res.result(http::status::ok);
        res.set(http::field::content_type, "application/json");
        res.body() = json::serialize(v);
        return false;
    }

    static bool legacy_error(response_t& res, int code, const char* msg) {
        return json_answer(res, json::object{{"code", code}, {"msg", msg}, {"data", nullptr}});
    }

    static bool flat_error(response_t& res, const char* code, const char* msg) {
        return json_answer(res, json::object{{"taskId", ""},
                                      {"status", ""},
                                      {"errorCode", code},
                                      {"errorMessage", msg},
                                      {"results", nullptr},
                                      {"clientId", ""},
                                      {"promptTips", ""}});
    }

    bool authorized(const request_t& req, std::string& key) const {
        auto it = req.find(http::field::authorization);
        if (it == req.end())
            return false;
        std::string_view v = it->value();
        if (!v.starts_with("Bearer "))
            return false;
        key = std::string(v.substr(7));
        return std::find(opts.api_keys.begin(), opts.api_keys.end(), key) != opts.api_keys.end();
    }

    task_status status_at(const emu_task& t, time_point now) const {
        if (t.cancelled)
            return task_status::cancel;
        if (now < t.created + opts.queue_time)
            return task_status::queued;
        if (now < t.created + opts.queue_time + opts.run_time)
            return task_status::running;
        return t.fail ? task_status::failed : task_status::success;
    }

    std::size_t active_tasks(const std::string& key, time_point now) {
        auto& q = active[key];
        q.erase(q.begin(), q.upper_bound(now));
        return q.size();
    }

    json::object task_json(const std::string& id, const emu_task& t, time_point now) const {
        auto st = status_at(t, now);
        json::object o{{"taskId", id},
                       {"status", to_string(st)},
                       {"errorCode", ""},
                       {"errorMessage", ""},
                       {"results", nullptr},
                       {"clientId", "emulator"},
                       {"promptTips", R"({"result": true, "error": null, "outputs_to_execute": ["9"], "node_errors": {}})"},
                       {"failedReason", json::object{}}};
        if (st == task_status::success) {
            o["results"] = json::array{json::object{{"url", base + "/files/" + id + "/output.png"},
                                                    {"outputType", "png"},
                                                    {"nodeId", "9"},
                                                    {"text", nullptr}}};
            o["usage"] = json::object{{"consumeMoney", nullptr},
                                      {"consumeCoins", "10"},
                                      {"taskCostTime", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                                          opts.run_time).count())},
                                      {"thirdPartyConsumeMoney", nullptr}};
        } else if (st == task_status::failed) {
            o["errorCode"] = "1000";
            o["errorMessage"] = "unknown error";
            o["failedReason"] = json::object{{"node_id", "9"},
                                             {"exception_type", "RuntimeError"},
                                             {"exception_message", "emulated failure"}};
        }
        return o;
    }

    // Answers one request; true when it created a task.
    bool handle(const request_t& req, response_t& res) {
        std::string_view target = req.target();
        std::unique_lock lk(mu);
        auto now = clock::now();
        if (req.method() == http::verb::get && target.starts_with("/files/")) {
            res.result(http::status::ok);
            res.set(http::field::content_type, "image/png");
            res.body().assign(2048, 'x');
            return false;
        }
        if (req.method() != http::verb::post) {
            res.result(http::status::method_not_allowed);
            return false;
        }
        bool legacy = target.starts_with("/task/openapi/");
        error_code jec;
        json::value body = json::parse(req.body(), jec);
        std::string key;
        if (legacy) {
            // Legacy endpoints: the key in the body (Bearer accepted too), the {code,msg,data} envelope.
            if (jec || !body.is_object())
                return legacy_error(res, 301, "PARAMS_INVALID");
            if (auto* k = body.get_object().if_contains("apiKey"); k && k->is_string())
                key = k->get_string();
            if (std::find(opts.api_keys.begin(), opts.api_keys.end(), key) == opts.api_keys.end() &&
                !authorized(req, key))
                return legacy_error(res, 802, "APIKEY_UNAUTHORIZED");
        } else {
            if (!authorized(req, key))
                return flat_error(res, "1002", "Invalid API Key");
            if (jec || !body.is_object())
                return flat_error(res, "1007", "Invalid parameters: body is not a JSON object");
        }
        auto& obj = body.get_object();

        bool app = target.starts_with("/openapi/v2/run/ai-app/");
        bool wf = target.starts_with("/openapi/v2/run/workflow/");
        if (app || wf) {
            std::string id(target.substr(target.rfind('/') + 1));
            auto& known = app ? opts.ai_apps : opts.workflows;
            if (std::find(known.begin(), known.end(), id) == known.end())
                return app ? legacy_error(res, 901, "WEBAPP_NOT_EXISTS") : legacy_error(res, 380, "WORKFLOW_NOT_EXISTS");
            auto* list = obj.if_contains("nodeInfoList");
            if (!list || !list->is_array() || list->get_array().empty())
                return flat_error(res, "1101", "Node info error");
            for (auto& item : list->get_array()) {
                auto* io = item.if_object();
                if (!io || !io->contains("nodeId") || !io->contains("fieldName") || !io->contains("fieldValue"))
                    return flat_error(res, "1101", "Node info error: nodeId, fieldName and fieldValue are required");
            }
            if (opts.concurrency_limit && active_tasks(key, now) >= opts.concurrency_limit) {
                ++stats.rejected_concurrency;
                return legacy_error(res, 421, "TASK_QUEUE_MAXED");
            }
            std::string task_id = std::to_string(next_id++);
            emu_task t{key, now, std::uniform_real_distribution<double>(0, 1)(rng) < opts.failure_rate, false, {}};
            if (auto* hook = obj.if_contains("webhookUrl"); hook && hook->is_string() && !hook->get_string().empty()) {
                t.webhook_url = hook->get_string();
                asio::co_spawn(io, deliver_webhook(task_id, t.webhook_url, now + opts.queue_time + opts.run_time),
                               asio::detached);
            }
            active[key].insert(now + opts.queue_time + opts.run_time);
            ++stats.tasks_created;
            auto o = task_json(task_id, t, now);
            o["results"] = nullptr;
            o["failedReason"] = nullptr;
            o["errorCode"] = "";
            o["errorMessage"] = "";
            if (o["status"].as_string() != "QUEUED")
                o["status"] = "RUNNING";
            tasks.emplace(std::move(task_id), std::move(t));
            json_answer(res, o);
            return true;
        }
        if (target == "/openapi/v2/query") {
            auto* id = obj.if_contains("taskId");
            if (!id || !id->is_string())
                return flat_error(res, "1007", "Invalid parameters: taskId");
            auto it = tasks.find(std::string(id->get_string()));
            if (it == tasks.end() || it->second.key != key)
                return flat_error(res, "1004", "Task not found or expired");
            return json_answer(res, task_json(it->first, it->second, now));
        }
        if (target == "/task/openapi/cancel") {
            auto it = tasks.find(detail::scalar_text(obj.if_contains("taskId")));
            if (it == tasks.end() || it->second.key != key)
                return legacy_error(res, 807, "APIKEY_TASK_NOT_FOUND");
            auto& t = it->second;
            if (!is_terminal(status_at(t, now))) {
                t.cancelled = true;
                auto& q = active[key];
                if (auto e = q.find(t.created + opts.queue_time + opts.run_time); e != q.end())
                    q.erase(e);
                ++stats.tasks_cancelled;
            }
            return json_answer(res, json::object{{"code", 0}, {"msg", "success"}, {"data", nullptr}});
        }
        res.result(http::status::not_found);
        legacy_error(res, 1001, "Invalid URL");
        res.result(http::status::not_found);
        return false;
    }

    emulator_options opts;
    asio::io_context io;
    ssl::context ctx;
    tcp::acceptor acceptor;
    unsigned short port = 0;
    std::string base;
    std::string ca;
    std::vector<std::thread> threads;
    std::once_flag stopped;

    mutable std::mutex mu;  // guards everything below
    std::mt19937_64 rng;
    std::vector<fault> faults;
    emulator_counters stats;
    std::unordered_map<std::string, emu_task> tasks;
    std::unordered_map<std::string, std::multiset<time_point>> active;  // end times of active tasks, per key
    std::uint64_t next_id = 1900000000000000001ull;  // beyond 2^53: ids must stay strings
};

emulator::emulator(emulator_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}
emulator::~emulator() = default;

std::string emulator::base_url() const { return impl_->base; }
unsigned short emulator::port() const { return impl_->port; }
const std::string& emulator::ca_pem() const { return impl_->ca; }

client_options emulator::make_client_options() const {
    client_options o;
    o.api_key = impl_->opts.api_keys.empty() ? default_api_key : impl_->opts.api_keys.front();
    o.base_url = impl_->base;
    o.ca_pem = impl_->ca;
    return o;
}

emulator_counters emulator::counters() const {
    std::lock_guard lk(impl_->mu);
    return impl_->stats;
}

bool emulator::wait_idle(duration limit) const {
    auto until = clock::now() + limit;
    for (;;) {
        if (counters().in_progress == 0)
            return true;
        if (clock::now() >= until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

void emulator::set_faults(std::vector<fault> faults) {
    std::lock_guard lk(impl_->mu);
    impl_->faults = std::move(faults);
}

void emulator::stop() { impl_->stop(); }

} // namespace runninghub
