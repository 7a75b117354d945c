#pragma once
// The client's state. Shared by the client handle and its pending operations.

#include "http.hpp"
#include "log.hpp"
#include "origin.hpp"
#include "codec.hpp"
#include "throttle.hpp"

#include <runninghub/client.hpp>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <random>
#include <unordered_map>
#include <unordered_set>

namespace runninghub {
namespace detail {

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
    enum endpoint { run_ai_app, run_workflow, query, cancel, endpoint_count };
    static constexpr const char* endpoint_names[endpoint_count] = {
        "POST /openapi/v2/run/ai-app", "POST /openapi/v2/run/workflow", "POST /openapi/v2/query",
        "POST /task/openapi/cancel"};
    std::array<endpoint_stats, endpoint_count> calls{};
    void count_call(endpoint e, const error_code& ec);
    boost::asio::awaitable<detail::outcome> submit_once(const detail::http_request& req, endpoint which);
    std::string webhook_url;                     // filled into run bodies when set
    std::atomic<std::uint64_t> webhook_generation{0};  // events of older attachments are ignored
    detail::wait_scheduler waits;
};

namespace detail {
/// Hands (ec, t) to h through its associated executor, never inline.
void deliver(const boost::asio::any_io_executor& ex, client::task_handler h, error_code ec, task t);
} // namespace detail

} // namespace runninghub
