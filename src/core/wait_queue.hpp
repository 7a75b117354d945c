// SPDX-License-Identifier: BSL-1.0
#pragma once
// The pending waits of a client, as data: a binary heap ordered by the next
// poll, a cap on queries in flight, deadlines, the poll schedule and what a
// query's answer means for its wait. No Asio: the shell (client/wait_service)
// owns the one timer and the handlers, and asks this queue what to do at `now`.

#include "core/poll.hpp"
#include "core/recent_ids.hpp"

#include <runninghub/error.hpp>
#include <runninghub/models.hpp>
#include <runninghub/options.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace runninghub::detail {

/// One pending wait's schedule. The shell derives its record (handler,
/// cancellation) from it; the queue only ever sees this part. Compact (64 bytes,
/// tail padding left to the shell's record): a batch may park 100,000 of them;
/// an own poll policy lives in the queue, not here.
struct wait_entry {
    /// `task_id`'s bytes must outlive the entry: the shell keeps them in its
    /// record's own allocation (no heap copy of a 19-digit id per wait).
    explicit wait_entry(std::string_view task_id) : id(task_id) {}
    std::string_view id;
    time_point due{}, deadline{};
    time_point started{};                 // when the task was accepted (or the wait began)
    time_point last_running{};            // the last poll that found it still running
    std::uint32_t heap_index = npos;
    std::uint16_t polls = 0;
    std::uint8_t errors = 0;
    bool done = false;
    bool event_seen = false;             // a TASK_END event arrived: poll at the normal pace again
    bool inflight : 1 = false;
    bool indexed : 1 = false;            // in the task-id index (webhooks attached)
    bool event_unconfirmed : 1 = false;  // ... and no query sent after it has answered yet
    bool confirming : 1 = false;         // the query in flight was sent after the event
    bool own_policy : 1 = false;         // its policy is in the queue's table, not the client's
    bool safety_policy : 1 = false;      // that policy is the webhook safety schedule (dropped on detach)
    std::uint8_t last_status = 0;        // the last status a poll saw, as a byte

    task_status last() const noexcept { return static_cast<task_status>(last_status); }
    void set_last(task_status s) noexcept { last_status = static_cast<std::uint8_t>(s); }

    static constexpr std::uint32_t npos = ~std::uint32_t(0);
};

class wait_queue {
public:
    /// `client_policy` is the client's poll policy (it must outlive the queue).
    wait_queue(const poll_policy& client_policy, std::size_t max_inflight)
        : client_policy_(client_policy), max_inflight_(max_inflight) {}

    /// Webhooks: waits added from now on poll every `safety` and are indexed
    /// by task id, and events are remembered for waits that start after them.
    void set_safety_interval(duration safety) noexcept { safety_ = safety; }
    /// Webhooks off (client::detach): every wait on the safety
    /// schedule goes back to the normal one (`uniform` draws each one's jitter),
    /// and the events remembered are dropped.
    void detach_events(time_point now, const std::function<double()>& uniform);

    /// Schedules a new wait. `own` replaces the client's policy for it;
    /// `started` is when its task was accepted (or now, when unknown).
    void add(wait_entry& e, std::optional<poll_policy> own, duration timeout, time_point started, time_point now,
             double u);

    /// The next wait due at `now`, at most one per call: to query now (then
    /// marked in flight) or past its deadline (`expired`: out of the heap, to be
    /// finished by the caller).
    struct due_item {
        wait_entry* entry;
        bool expired;
    };
    std::optional<due_item> pop_due(time_point now);

    /// When something becomes due; time_point::max() when nothing is
    /// waiting, or when it is due but the in-flight cap holds it back (a
    /// query's completion makes room).
    time_point next_wakeup(time_point now) const noexcept;

    /// What a query's answer means for its wait.
    struct verdict {
        bool finish = false;  // the wait completes now, with `ec` (none: SUCCESS)
        error_code ec;
        /// The query, sent after a TASK_END event, found the task not ended: the
        /// event was forged or early and is forgotten (tell its listener too).
        bool contradicted = false;
    };
    /// A query of `e` came back (call first, also for a wait already done).
    void returned(wait_entry& e);
    /// A query of `e` (not done) completed: with `ec`, else with the task in `status`.
    /// Polls again (rescheduled) unless the task ended or the failure is final.
    verdict on_result(wait_entry& e, const error_code& ec, task_status status, duration retry_after, time_point now,
                      double u);

    /// A TASK_END event for `id`: its waits become due at once (those in
    /// flight poll again as soon as their query returns); a wait added for it
    /// later, while it is remembered, is due at once too. Only a query decides.
    void on_event(std::string_view id, time_point now);
    /// The events remembered for waits that start after them.
    const recent_ids& events() const noexcept { return events_; }

    /// Takes `e` out of the heap and the index and marks it done.
    void remove(wait_entry& e);

    /// The schedule the waits learn from: durations of tasks seen to end.
    const duration_estimate& durations() const noexcept { return durations_; }

    std::size_t inflight() const noexcept { return inflight_.size(); }
    /// Nothing scheduled (queries may still be in flight).
    bool empty() const noexcept { return heap_.empty(); }
    /// Every entry still scheduled or in flight (for shutdown).
    std::vector<wait_entry*> entries() const;

private:
    const poll_policy& policy_of(const wait_entry& e) const {
        return e.own_policy ? policies_.find(&e)->second : client_policy_;
    }
    void drop_policy(wait_entry& e);
    duration next_delay(const wait_entry& e, const poll_policy& p, unsigned n, time_point now, double u) const;
    void push(wait_entry* e);
    void erase(wait_entry* e);
    void sift_up(std::size_t i);
    void sift_down(std::size_t i);
    void place(std::size_t i, wait_entry* e);
    void unindex(wait_entry* e);

    const poll_policy& client_policy_;
    std::size_t max_inflight_;
    duration safety_{0};
    // Events for waits not (yet) started: enough for a large batch that waits
    // after submitting everything; an event older than that costs a safety poll.
    duration event_age_ = std::chrono::minutes(30);
    recent_ids events_{65536, 4u << 20};
    duration_estimate durations_;
    std::vector<wait_entry*> heap_;
    std::vector<wait_entry*> inflight_;
    std::unordered_multimap<std::string_view, wait_entry*> by_id_;
    std::unordered_map<const wait_entry*, poll_policy> policies_;  // waits with their own policy
};

} // namespace runninghub::detail
