#include <runninghub/webhook.hpp>

#include "net/server.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <cctype>
#include <deque>
#include <map>
#include <system_error>
#include <unordered_set>

namespace asio = boost::asio;

namespace runninghub {
namespace {

bool valid_secret(const std::string& s) {
    if (s.size() < 16 || s.size() > 128)
        return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
            return false;
    return true;
}

[[noreturn]] void bad(const std::string& why) {
    throw error(make_error_code(errc::invalid_options), "webhook_listener: " + why);
}

const webhook_options& validated(const webhook_options& o) {
    if (!valid_secret(o.secret))
        bad("secret must be 16 to 128 characters of [0-9A-Za-z_-]");
    if (o.path.empty() || o.path.front() != '/' || o.path.back() == '/')
        bad("path must start with '/' and not end with one");
    if (o.max_body == 0 || o.max_header_fields == 0)
        bad("max_body and max_header_fields must be positive");
    return o;
}

// The listener's own executor is a strand: its state is touched there only.
detail::server listen(asio::any_io_executor ex, const webhook_options& o, webhook_stats& counters) {
    detail::server_options so;
    so.address = o.address;
    so.port = o.port;
    so.cert_pem = o.cert_pem;
    so.key_pem = o.key_pem;
    so.server_name = "runninghub-cpp webhook";
    so.handshake_timeout = so.read_timeout = o.read_timeout;
    so.header_limit = 16 * 1024;
    so.body_limit = o.max_body;
    so.on_connection = [&counters] { ++counters.connections; };
    try {
        return detail::server(asio::make_strand(ex), std::move(so));
    } catch (const std::system_error& e) {
        bad(e.what());
    }
}

detail::server_answer json_answer(unsigned status, std::string_view body) {
    return {status, "application/json", std::string(body)};
}

} // namespace

struct webhook_listener::impl : std::enable_shared_from_this<webhook_listener::impl> {
    impl(asio::any_io_executor ex, webhook_options o)
        : opts(std::move(o)), server(listen(std::move(ex), validated(opts), counters)) {}

    void start() {
        server.serve_requests([self = shared_from_this()](const detail::server_request& req) { return self->handle(req); });
    }

    detail::server_answer handle(const detail::server_request& req) {
        if (req.oversized) {
            ++counters.rejected_oversized;
            return {req.oversized, "", ""};
        }
        ++counters.received;
        if (req.header_count > opts.max_header_fields) {
            ++counters.rejected_oversized;
            return json_answer(431, R"({"code":431,"msg":"too many header fields"})");
        }
        std::string_view target = req.target;
        target = target.substr(0, target.find('?'));
        if (target != opts.path + "/" + opts.secret) {
            ++counters.rejected_path;
            return json_answer(404, R"({"code":404,"msg":"not found"})");
        }
        if (req.method != "POST") {
            ++counters.rejected_method;
            return json_answer(405, R"({"code":405,"msg":"POST only"})");
        }
        auto event = parse_webhook_event(req.body);
        if (!event) {
            ++counters.rejected_malformed;
            return json_answer(400, R"({"code":400,"msg":"not a TASK_END event"})");
        }
        if (!remember(event->task_id)) {
            ++counters.duplicates;
            return json_answer(200, R"({"code":0,"msg":"success"})");
        }
        ++counters.accepted;
        // Delivered after the answer is on its way: subscribers never delay it.
        asio::post(server.get_executor(), [self = shared_from_this(), e = std::move(*event)] {
            auto subs = self->subscribers;  // a subscriber may unsubscribe while called
            for (auto& [token, fn] : subs)
                if (self->subscribers.count(token))
                    fn(e);
        });
        return json_answer(200, R"({"code":0,"msg":"success"})");
    }

    bool remember(const std::string& id) {
        if (!seen.insert(id).second)
            return false;
        order.push_back(id);
        if (order.size() > opts.remembered_tasks) {
            seen.erase(order.front());
            order.pop_front();
        }
        return true;
    }

    webhook_options opts;
    webhook_stats counters;
    detail::server server;
    bool closed = false;
    std::unordered_set<std::string> seen;
    std::deque<std::string> order;
    std::map<std::uint64_t, std::function<void(const webhook_event&)>> subscribers;
    std::uint64_t next_token = 1;
};

webhook_listener::webhook_listener(asio::any_io_executor ex, webhook_options opts)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(opts))) {
    impl_->start();
}

webhook_listener::~webhook_listener() { close(); }

unsigned short webhook_listener::port() const { return impl_->server.port(); }

std::string webhook_listener::local_url() const {
    auto& o = impl_->opts;
    std::string host = o.address == "0.0.0.0" ? "127.0.0.1" : o.address;
    return std::string(impl_->server.tls() ? "https" : "http") + "://" + host + ":" + std::to_string(port()) + o.path +
           "/" + o.secret;
}

std::string webhook_listener::callback_url() const {
    auto& o = impl_->opts;
    if (o.public_url.empty())
        return local_url();
    std::string base = o.public_url;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    return base + o.path + "/" + o.secret;
}

std::uint64_t webhook_listener::subscribe(std::function<void(const webhook_event&)> fn) {
    auto token = impl_->next_token++;
    impl_->subscribers.emplace(token, std::move(fn));
    return token;
}

void webhook_listener::unsubscribe(std::uint64_t token) { impl_->subscribers.erase(token); }

webhook_stats webhook_listener::stats() const { return impl_->counters; }

void webhook_listener::close() {
    if (impl_->closed)
        return;
    impl_->closed = true;
    impl_->subscribers.clear();
    impl_->server.close();
}

} // namespace runninghub
