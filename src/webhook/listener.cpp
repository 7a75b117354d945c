// SPDX-License-Identifier: BSL-1.0
#include <runninghub/webhook.hpp>

#include "core/log.hpp"
#include "core/recent_ids.hpp"
#include "net/server.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>

namespace asio = boost::asio;

namespace runninghub {
namespace {

bool url_safe(std::string_view s, std::size_t min, std::size_t max) {
    if (s.size() < min || s.size() > max)
        return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
            return false;
    return true;
}

bool valid_secret(const std::string& s) { return url_safe(s, 16, 128); }

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
    if (o.remembered_tasks == 0 || o.remembered_bytes < detail::recent_ids::entry_overhead + max_webhook_task_id)
        bad("remembered_tasks must be positive and remembered_bytes at least 224");
    return o;
}

// The listener's own executor is a strand: its state is touched there only.
detail::server listen(asio::any_io_executor ex, const webhook_options& o, webhook_stats& counters,
                      std::function<void(const error_code&)> on_accept_error) {
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
    so.on_accept_error = std::move(on_accept_error);
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
        // The accept loop holds this impl (through its request handler): `this` outlives its callbacks.
        : opts(std::move(o)), log(opts.logger, opts.log_threshold, {}),
          server(listen(std::move(ex), validated(opts), counters, [this](const error_code& ec) { accept_failed(ec); })),
          seen(opts.remembered_tasks, opts.remembered_bytes) {}

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
        auto ref = callback_ref(target);
        if (!ref) {
            ++counters.rejected_path;
            return json_answer(404, R"({"code":404,"msg":"not found"})");
        }
        if (req.method != "POST") {
            ++counters.rejected_method;
            return json_answer(405, R"({"code":405,"msg":"POST only"})");
        }
        std::string why;
        auto event = parse_webhook_event(req.body, &why);
        if (!event) {
            ++counters.rejected_malformed;
            warn("webhook listener: a request answered 400: " + why + " (" + std::to_string(req.body.size()) +
                 " bytes)");
            return json_answer(400, R"({"code":400,"msg":"not a TASK_END event"})");
        }
        event->ref = *ref;
        if (!seen.remember(event->task_id, clock::now())) {
            ++counters.duplicates;
            return json_answer(200, R"({"code":0,"msg":"success"})");
        }
        ++counters.accepted;
        // Delivered after the answer is on its way: subscribers never delay it.
        asio::post(server.get_executor(), [self = shared_from_this(), e = std::move(*event)] {
            std::unique_lock lock(self->subscribers_mutex);
            auto subs = self->subscribers;  // a subscriber may unsubscribe while called
            for (auto& [token, fn] : subs) {
                if (!self->subscribers.count(token))
                    continue;
                lock.unlock();
                fn(e);
                lock.lock();
            }
        });
        return json_answer(200, R"({"code":0,"msg":"success"})");
    }

    /// The reference a callback path carries ("" for the bare path), or
    /// nullopt when the path is not this listener's.
    std::optional<std::string_view> callback_ref(std::string_view target) const {
        std::string_view base = opts.path, secret = opts.secret;
        if (!target.starts_with(base) || !target.substr(base.size()).starts_with('/'))
            return std::nullopt;
        target.remove_prefix(base.size() + 1);
        // In constant time: how long a wrong guess took must not tell how much of it was right.
        if (target.size() < secret.size() || CRYPTO_memcmp(target.data(), secret.data(), secret.size()) != 0)
            return std::nullopt;
        target.remove_prefix(secret.size());
        if (target.empty())
            return target;
        if (target.front() != '/' || !url_safe(target.substr(1), 1, max_webhook_ref))
            return std::nullopt;
        return target.substr(1);
    }

    void forget(const std::string& id) {
        if (seen.forget(id))
            ++counters.forgotten;
    }

    // Counted each time, logged once per episode (a flood of the same line helps no one).
    void accept_failed(const error_code& ec) {
        ++counters.accept_errors;
        if (!accept_warned || counters.connections != connections_at_last_warning) {  // a new episode
            accept_warned = true;
            connections_at_last_warning = counters.connections;
            warn("webhook listener: cannot accept a connection (" + ec.message() + "); retrying with pauses");
        }
    }

    // At most a line a second, whoever sends what: the lines skipped are counted in the next one.
    void warn(std::string line) {
        if (!log.enabled(log_level::warning))
            return;
        auto now = clock::now();
        if (now - last_warning < std::chrono::seconds(1) && last_warning != time_point{}) {
            ++warnings_suppressed;
            return;
        }
        if (warnings_suppressed)
            line += " (" + std::to_string(std::exchange(warnings_suppressed, 0)) + " more warnings not logged)";
        last_warning = now;
        log(log_level::warning, std::move(line));
    }

    webhook_options opts;
    detail::logger log;
    webhook_stats counters;
    detail::server server;
    bool closed = false;
    detail::recent_ids seen;  // for deduplication
    bool accept_warned = false;
    std::uint64_t connections_at_last_warning = 0;
    time_point last_warning{};
    std::uint64_t warnings_suppressed = 0;
    std::mutex subscribers_mutex;  // subscribe() may be called from any thread
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

std::string random_webhook_secret() {
    static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string out;
    unsigned char bytes[64];
    while (out.size() < 32) {
        if (RAND_bytes(bytes, sizeof bytes) != 1)
            throw error(make_error_code(boost::system::errc::resource_unavailable_try_again),
                        "random_webhook_secret: OpenSSL's random generator failed");
        for (unsigned char b : bytes)
            if (b < 252 && out.size() < 32)  // 252 = 7 × 36: every digit equally likely
                out += digits[b % 36];
    }
    return out;
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

std::string webhook_listener::callback_url(std::string_view ref) const {
    if (!url_safe(ref, 1, max_webhook_ref))
        throw error(make_error_code(errc::invalid_options),
                    "webhook_listener: a callback reference must be 1 to " + std::to_string(max_webhook_ref) +
                        " characters of [0-9A-Za-z_-], not '" + std::string(ref.substr(0, 80)) + "'");
    return callback_url() + "/" + std::string(ref);
}

std::uint64_t webhook_listener::subscribe(std::function<void(const webhook_event&)> fn) {
    std::lock_guard lock(impl_->subscribers_mutex);
    auto token = impl_->next_token++;
    impl_->subscribers.emplace(token, std::move(fn));
    return token;
}

void webhook_listener::unsubscribe(std::uint64_t token) {
    std::lock_guard lock(impl_->subscribers_mutex);
    impl_->subscribers.erase(token);
}

void webhook_listener::forget(std::string task_id) { forget_function()(std::move(task_id)); }

std::function<void(std::string)> webhook_listener::forget_function() const {
    return [weak = std::weak_ptr<impl>(impl_), ex = impl_->server.get_executor()](std::string id) {
        asio::post(ex, [weak, id = std::move(id)] {
            if (auto self = weak.lock())
                self->forget(id);
        });
    };
}

webhook_stats webhook_listener::stats() const {
    auto s = impl_->counters;
    s.remembered = impl_->seen.size();
    s.remembered_bytes = impl_->seen.bytes();
    return s;
}

void webhook_listener::close() {
    if (impl_->closed)
        return;
    impl_->closed = true;
    {
        std::lock_guard lock(impl_->subscribers_mutex);
        impl_->subscribers.clear();
    }
    impl_->server.close();
}

} // namespace runninghub
