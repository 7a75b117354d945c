// SPDX-License-Identifier: BSL-1.0
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
#include <string_view>

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
    // Deduplication by taskId: the newest ids, at most this many and this many
    // bytes (an id's characters plus ~96 bytes of bookkeeping each).
    std::size_t remembered_tasks = 100000;
    std::size_t remembered_bytes = 16u << 20;
    log_function logger;                      // rejected events, accept failures; silent when empty
    log_level log_threshold = log_level::info;
};

/// A fresh webhook_options::secret: 32 characters of [0-9a-z] from OpenSSL's
/// random generator (about 165 bits). Throws runninghub::error when it has none.
RUNNINGHUB_EXPORT std::string random_webhook_secret();

/// The longest taskId an event may carry (the service's are 19 digits): a
/// longer one is answered 400, and never remembered.
inline constexpr std::size_t max_webhook_task_id = 128;

/// The longest reference a callback URL may carry after its secret
/// (callback_url(ref)).
inline constexpr std::size_t max_webhook_ref = 64;

/// One TASK_END callback, in any of the shapes RunningHub sends.
struct webhook_event {
    std::string task_id;
    /// The reference of the callback URL it came to (callback_url(ref)); empty
    /// for the bare URL. It names the submit that gave the URL, so a task whose
    /// submit answer was lost can still be found (batch_options::webhook).
    std::string ref;
    task_status status = task_status::unknown;  // unknown: ended, outcome not in the payload
    std::vector<result_file> results;
    std::string error_code;                      // v2 errorCode, or "805" for a legacy failure envelope
    std::string error_message;
    task_failure failed_reason;                  // a failure's failedReason, when the event carries one
    task_usage usage;                            // v2 usage, or the legacy items' costs (as task::usage)
    boost::json::value raw;                      // the body as received
};

/// Parses a callback body: `eventData` as a JSON string or object, the legacy
/// outputs envelope, a wrapped {code,msg,data} or a flat {taskId,status,results}.
/// nullopt (and a reason) when no well-formed taskId can be found: 1 to
/// max_webhook_task_id characters of [0-9A-Za-z_-].
RUNNINGHUB_EXPORT std::optional<webhook_event> parse_webhook_event(std::string_view body, std::string* why = nullptr);

struct webhook_stats {
    std::uint64_t connections = 0;
    std::uint64_t received = 0;        // requests read
    std::uint64_t accepted = 0;        // events delivered (first time for a task)
    std::uint64_t duplicates = 0;      // events for a task already seen (answered 200, not delivered)
    std::uint64_t rejected_path = 0;   // wrong path or secret: 404
    std::uint64_t rejected_malformed = 0;  // 400
    std::uint64_t rejected_oversized = 0;  // 413 / 431
    std::uint64_t rejected_method = 0;     // 405
    std::uint64_t forgotten = 0;           // events forgotten because a query contradicted them
    std::uint64_t accept_errors = 0;       // failed accepts (e.g. out of file descriptors: each one backs off)
    std::uint64_t remembered = 0;          // task ids remembered now, for deduplication
    std::uint64_t remembered_bytes = 0;    // what they take, as bounded by remembered_bytes
};

class RUNNINGHUB_EXPORT webhook_listener {
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
    /// callback_url() + "/" + ref: events sent to it carry `ref` (1 to
    /// max_webhook_ref characters of [0-9A-Za-z_-]; else invalid_options is thrown).
    std::string callback_url(std::string_view ref) const;

    /// Called on the listener's executor for every new (deduplicated) event.
    /// Returns a token; unsubscribe(token) removes the callback. Both from any thread.
    /// An event is a hint, not a fact: anyone who knows the callback URL can
    /// send one. Confirm it with a query; see forget().
    std::uint64_t subscribe(std::function<void(const webhook_event&)> fn);
    void unsubscribe(std::uint64_t token);

    /// Forgets the event of `task_id`, so that the task's next event is
    /// delivered again: call it when a query shows the task has not ended (a
    /// forged or early event would otherwise swallow the genuine one). Any thread.
    void forget(std::string task_id);
    /// forget() as a function that may outlive the listener (it then does nothing).
    std::function<void(std::string)> forget_function() const;

    webhook_stats stats() const;
    void close();

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

} // namespace runninghub
