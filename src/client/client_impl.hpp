#pragma once
// The client's state. Shared by the client handle and its pending operations.

#include "net/http.hpp"
#include "core/log.hpp"
#include "core/origin.hpp"
#include "codec/codec.hpp"
#include "client/throttle.hpp"

#include <runninghub/client.hpp>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <map>
#include <atomic>
#include <random>
#include <unordered_map>
#include <unordered_set>

namespace runninghub {
namespace detail {

/// A JSON endpoint's data, or its error.
struct reply {
    error_code ec;
    boost::json::value data;
    diagnostics diag;
    http_response raw;  // status and headers of the last answer
};

/// One answer of the service, decoded.
struct outcome {
    error_code ec;
    task t;
    duration retry_after{-1};  // from Retry-After, when the server sent one
    bool sent = false;         // the request was completely written
};

/// A pending wait: a compact record on a shared timer, not a coroutine.
struct wait_record {
    // any_completion_handler must be constructed, never assigned, on Boost 1.81.
    wait_record(std::string task_id, client::task_handler h) : id(std::move(task_id)), handler(std::move(h)) {}
    std::string id;
    client::task_handler handler;
    time_point due{}, deadline{};
    std::unique_ptr<poll_policy> policy;  // null: the client's
    boost::asio::cancellation_signal query_cancel;
    std::uint32_t heap_index = npos;
    time_point started{};                 // when the task was accepted (or the wait began)
    time_point last_running{};            // the last poll that found it still running
    std::uint16_t polls = 0;
    std::uint8_t errors = 0;
    task_status last = task_status::unknown;
    bool done = false;
    bool inflight = false;
    std::atomic<std::uint32_t> cancel_posts{0};  // cancellations posted, not yet handled (any thread)
    bool indexed = false;      // in the scheduler's task-id index (webhooks attached)
    bool event_seen = false;   // a TASK_END event arrived: poll at the normal pace again

    static constexpr std::uint32_t npos = ~std::uint32_t(0);
};

/// All pending waits of a client: a binary heap ordered by next poll, one
/// timer, and a cap on queries in flight.
class wait_scheduler {
public:
    explicit wait_scheduler(client::impl& owner);
    ~wait_scheduler();

    void add(std::string id, wait_options opts, client::task_handler h);
    void shutdown();
    /// Webhooks: waits added from now on poll every `safety` and are indexed
    /// by task id; zero turns this off.
    void set_safety_interval(duration safety) noexcept { safety_ = safety; }
    /// A TASK_END event for `id`: its waits query at once.
    void on_event(const std::string& id);
    std::size_t pending() const noexcept { return pending_; }
    std::uint64_t completed() const noexcept { return completed_; }

private:
    struct cancel_fn;
    void push(wait_record* r);
    void erase(wait_record* r);
    void sift_up(std::size_t i);
    void sift_down(std::size_t i);
    void place(std::size_t i, wait_record* r);
    void pump();
    void arm();
    void launch(wait_record* r);
    void on_query(wait_record* r, std::exception_ptr ep, outcome o);
    void on_cancel(wait_record* r);
    void finish(wait_record* r, error_code ec, task t);
    void maybe_delete(wait_record* r);
    const poll_policy& policy_of(const wait_record& r) const;
    duration next_delay(const wait_record& r, const poll_policy& p, unsigned n, time_point now);

    client::impl& owner_;
    std::vector<wait_record*> heap_;
    std::vector<wait_record*> inflight_;
    boost::asio::steady_timer timer_;
    time_point armed_ = time_point::max();
    std::size_t pending_ = 0;
    std::uint64_t completed_ = 0;
    bool shut_ = false;
    duration safety_{0};
    std::unordered_multimap<std::string_view, wait_record*> by_id_;
};

} // namespace detail

struct client::impl : std::enable_shared_from_this<client::impl> {
    impl(boost::asio::any_io_executor ex, client_options o);

    boost::asio::awaitable<detail::outcome> do_run(std::string id, std::vector<node_input> inputs, run_options opts,
                                                   bool workflow);
    /// A submit of any kind: throttled by the gate, repeated only when it
    /// certainly created no task.
    enum endpoint : int;
    boost::asio::awaitable<detail::outcome> submit(std::string path, std::string body, endpoint which);
    /// A JSON call to the service (either envelope), repeated on transient
    /// faults when req.idempotent; counted under `name`.
    /// `state_code` marks service codes that describe a state rather than a
    /// failed call (outputs: 804, 813, 805); they count as answered.
    boost::asio::awaitable<detail::reply> call_json(detail::http_request req, std::string_view name,
                                                    duration timeout = duration::zero(),
                                                    bool (*state_code)(const error_code&) = nullptr);
    boost::asio::awaitable<detail::outcome> query_once(std::string_view id, time_point deadline);
    boost::asio::awaitable<detail::outcome> do_query(std::string id);
    boost::asio::awaitable<detail::outcome> do_cancel(std::string id);

    /// Waits for the request-rate limiter; an error when cancelled.
    boost::asio::awaitable<error_code> pace();
    boost::asio::awaitable<error_code> sleep(duration d);
    /// The delay before repeating after `o` failed, or nullopt when the
    /// attempts, the policy's overall time or the client's budget are spent
    /// (the repeat is then counted by cause).
    std::optional<duration> next_retry(const detail::outcome& o, const retry_policy& p, unsigned attempt,
                                       time_point started);
    /// The client saw a task end (seen), or its caller gave up waiting for it
    /// (!seen: cancelled or timed-out wait): the slot it held in the submit
    /// gate frees. Should the service still run an abandoned task, a 421 on a
    /// later submit shrinks the window until it ends.
    void task_ended(const std::string& id, bool seen = true);

    double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }
    void shutdown();

    boost::asio::any_io_executor ex;
    client_options opts;
    detail::logger log;
    detail::origin base;
    detail::http_client http;
    client_stats counters;
    std::minstd_rand rng;
    detail::submit_gate gate;
    detail::rate_limiter limiter;
    detail::retry_budget budget;
    /// Accepted tasks not yet seen to end, with when they were accepted; with
    /// throttling on, each holds a gate slot.
    std::unordered_map<std::string, time_point> tasks_in_flight;
    detail::duration_estimate durations;         // of tasks seen to end, for learned polling
    /// Calls by endpoint, counted without building strings on the hot path.
    enum endpoint : int { run_ai_app, run_workflow, query, legacy_create, legacy_ai_app, legacy_quick, model,
                          endpoint_count };
    static constexpr const char* endpoint_names[endpoint_count] = {
        "POST /openapi/v2/run/ai-app", "POST /openapi/v2/run/workflow", "POST /openapi/v2/query",
        "POST /task/openapi/create", "POST /task/openapi/ai-app/run",
        "POST /task/openapi/quick-ai-app/run", "POST /openapi/v2/{model}"};
    std::array<endpoint_stats, endpoint_count> calls{};
    std::map<std::string, endpoint_stats, std::less<>> other_calls;  // the less frequent endpoints
    void count_call(endpoint e, const error_code& ec);
    void count_call(std::string_view name, const error_code& ec);
    boost::asio::awaitable<detail::outcome> submit_once(const detail::http_request& req, endpoint which);
    std::string webhook_url;                     // filled into run bodies when set
    std::atomic<std::uint64_t> webhook_generation{0};  // events of older attachments are ignored
    detail::wait_scheduler waits;
};

namespace detail {
/// Hands (ec, t) to h through its associated executor, never inline.
void deliver(const boost::asio::any_io_executor& ex, client::task_handler h, error_code ec, task t);

/// An operation's result as (error, value): an outcome's task, or the pair itself.
inline std::pair<error_code, task> completion_of(outcome&& o) { return {o.ec, std::move(o.t)}; }
template <class T>
std::pair<error_code, T> completion_of(std::pair<error_code, T>&& r) { return std::move(r); }

/// Runs an operation's coroutine on the client's executor: the handler's
/// cancellation slot reaches it, its (error, value) goes to the handler.
/// co_spawn completes through the handler's own executor and slot, so the
/// handler is called directly.
template <class R, class T>
void launch(const std::shared_ptr<client::impl>& self, boost::asio::awaitable<R> op, client::handler<T> h) {
    namespace asio = boost::asio;
    auto slot = asio::get_associated_cancellation_slot(h);
    auto hex = asio::get_associated_executor(h, self->ex);
    asio::co_spawn(self->ex, std::move(op),
                   asio::bind_cancellation_slot(
                       slot, asio::bind_executor(hex, [h = std::move(h)](std::exception_ptr ep, R r) mutable {
                           auto [ec, value] = completion_of(std::move(r));
                           if (ep) {
                               try {
                                   std::rethrow_exception(ep);
                               } catch (const boost::system::system_error& e) {
                                   ec = e.code();
                               }
                           }
                           std::move(h)(ec, std::move(value));
                       })));
}

/// A failed operation's result: the error, and a value whose diag says where and why.
template <class T>
std::pair<error_code, T> failure(error_code ec, std::string endpoint, std::string why) {
    std::pair<error_code, T> r{ec, T{}};
    r.second.diag.endpoint = std::move(endpoint);
    r.second.diag.server_message = std::move(why);
    return r;
}

/// Completes h at once (posted) with an argument error.
template <class T>
void fail_as(const std::shared_ptr<client::impl>& self, client::handler<T> h, errc e, std::string why) {
    namespace asio = boost::asio;
    auto hex = asio::get_associated_executor(h, self->ex);
    asio::post(self->ex, asio::bind_executor(hex, [h = std::move(h), r = failure<T>(e, {}, std::move(why))]() mutable {
                   std::move(h)(r.first, std::move(r.second));
               }));
}

/// An id used in a path or body must be 1..64 of [0-9A-Za-z_-]: true when it is;
/// otherwise h completes with invalid_options naming `what`.
template <class T>
bool check_id(const std::shared_ptr<client::impl>& self, client::handler<T>& h, std::string_view what,
              std::string_view id) {
    if (valid_id(id))
        return true;
    fail_as<T>(self, std::move(h), errc::invalid_options,
               std::string(what) + " \"" + excerpt(id, 64) + "\" must be 1 to 64 characters of [0-9A-Za-z_-]");
    return false;
}

/// Why a submit's arguments are refused (empty: they are fine).
std::string run_arguments_error(bool workflow, const std::vector<node_input>& inputs, const run_options& opts);
} // namespace detail

} // namespace runninghub
