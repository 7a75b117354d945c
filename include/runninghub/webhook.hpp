#pragma once
// runninghub::webhook_listener: a small HTTP(S) server that receives
// RunningHub's TASK_END callbacks. Attached to a client (client::attach), it
// makes pending waits query their task at once when its event arrives, so a
// task costs about one query; polling goes on at a slow safety interval and
// stays the source of truth when an event is lost.

#include <runninghub/models.hpp>
#include <runninghub/options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace runninghub {

struct webhook_options {
    std::string address = "127.0.0.1";
    unsigned short port = 0;                  // 0: ephemeral
    std::string path = "/runninghub/webhook"; // the callback path; the secret follows it: /runninghub/webhook/<secret>
    std::string secret;                       // required, 16..128 of [0-9A-Za-z_-]; other paths answer 404
    /// How RunningHub reaches this listener from outside (e.g. "https://hooks.example.com");
    /// when set, client::run fills webhookUrl with public_url + path + "/" + secret.
    std::string public_url;
    std::string cert_pem, key_pem;            // HTTPS when both are set
    std::size_t max_body = 1u << 20;          // larger bodies: 413
    std::size_t max_header_fields = 64;       // more fields: 431
    duration read_timeout = std::chrono::seconds(10);
    std::size_t remembered_tasks = 100000;    // for deduplication by taskId
};

/// One TASK_END callback, in any of the shapes RunningHub sends.
struct webhook_event {
    std::string task_id;
    task_status status = task_status::unknown;  // unknown: ended, outcome not in the payload
    std::vector<result_file> results;
    boost::json::value raw;                      // the body as received
};

/// Parses a callback body: `eventData` as a JSON string or object, the legacy
/// outputs envelope, a wrapped {code,msg,data} or a flat {taskId,status,results}.
/// nullopt (and a reason) when no taskId can be found.
std::optional<webhook_event> parse_webhook_event(std::string_view body, std::string* why = nullptr);

struct webhook_stats {
    std::uint64_t connections = 0;
    std::uint64_t received = 0;        // requests read
    std::uint64_t accepted = 0;        // events delivered (first time for a task)
    std::uint64_t duplicates = 0;      // events for a task already seen (answered 200, not delivered)
    std::uint64_t rejected_path = 0;   // wrong path or secret: 404
    std::uint64_t rejected_malformed = 0;  // 400
    std::uint64_t rejected_oversized = 0;  // 413 / 431
    std::uint64_t rejected_method = 0;     // 405
};

class webhook_listener {
public:
    /// Binds and starts accepting on `ex` before returning; throws
    /// runninghub::error (invalid_options) for bad options or a failed bind.
    webhook_listener(boost::asio::any_io_executor ex, webhook_options opts);
    ~webhook_listener();
    webhook_listener(const webhook_listener&) = delete;
    webhook_listener& operator=(const webhook_listener&) = delete;

    unsigned short port() const;
    /// The local callback URL (scheme://address:port/path/secret).
    std::string local_url() const;
    /// The URL to give RunningHub: public_url-based when set, else local_url().
    std::string callback_url() const;

    /// Called on the listener's executor for every new (deduplicated) event.
    /// Returns a token; unsubscribe(token) removes the callback.
    std::uint64_t subscribe(std::function<void(const webhook_event&)> fn);
    void unsubscribe(std::uint64_t token);

    webhook_stats stats() const;
    void close();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace runninghub
