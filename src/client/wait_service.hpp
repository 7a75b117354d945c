// SPDX-License-Identifier: BSL-1.0
#pragma once
// All pending waits of a client on one timer: the Asio shell around
// core/wait_queue. It is handed what it needs (a query function, the task
// registry, the options) and never sees the client itself.

#include "client/call_settings.hpp"
#include "client/outcome.hpp"
#include "client/task_registry.hpp"
#include "core/log.hpp"
#include "core/wait_queue.hpp"

#include <runninghub/client.hpp>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <unordered_map>
#include <memory>
#include <random>

namespace runninghub::detail {

class wait_service {
public:
    /// One query of a task, within `deadline`, with the wait's own settings
    /// (null: none); completes with its outcome.
    using query_function = std::function<boost::asio::awaitable<outcome>(std::string_view id, time_point deadline,
                                                                         const call_settings* cs)>;

    wait_service(boost::asio::any_io_executor ex, const client_options& opts, task_registry& tasks,
                 query_function query, const logger& log);
    ~wait_service();

    /// Pending timers and queries keep `owner` alive (the object this service is part of).
    void anchor(std::weak_ptr<void> owner) { anchor_ = std::move(owner); }

    /// Completes `h` when the task ends, the wait times out or is cancelled
    /// (terminal cancellation through `slot`, or h's own when it is not
    /// connected), or the service shuts down. Its queries use `cs` (checked
    /// wait_options::call).
    void add(std::string id, wait_options opts, call_settings cs, detail::handler<task> h,
             boost::asio::cancellation_slot slot = {});
    void shutdown();
    /// Webhooks attached (`safety` > 0: waits added from now on poll at that
    /// interval) or detached (zero: every wait goes back to normal polling).
    void set_safety_interval(duration safety);
    /// Tells the listener that a query contradicted its event (the task had
    /// not ended), so that the task's next event is delivered; empty: none.
    void set_forget(std::function<void(std::string)> forget) { forget_ = std::move(forget); }
    /// A TASK_END event for `id`: its waits query at once; a wait added for it
    /// soon after does too.
    void on_event(const std::string& id);

    std::size_t pending() const noexcept { return pending_; }
    std::uint64_t completed() const noexcept { return completed_; }

private:
    struct record;
    struct cancel_fn;
    void pump();
    void arm();
    void launch(record* r);
    void on_query(record* r, std::exception_ptr ep, outcome o);
    void on_cancel(record* r);
    void finish(record* r, error_code ec, task t);
    void maybe_delete(record* r);
    double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

    boost::asio::any_io_executor ex_;
    task_registry& tasks_;
    query_function query_;
    std::function<void(std::string)> forget_;
    // wait_options::on_status of the waits that set one (most do not: not in the record).
    std::unordered_map<const record*, std::function<void(const task&)>> watchers_;
    // The call settings of the waits that set any (most do not); a query in
    // flight keeps its settings alive after its wait ended.
    std::unordered_map<const record*, std::shared_ptr<const call_settings>> settings_;
    const logger& log_;
    wait_queue queue_;
    boost::asio::steady_timer timer_;
    time_point armed_ = time_point::max();
    std::weak_ptr<void> anchor_;
    std::minstd_rand rng_;
    std::size_t pending_ = 0;
    std::uint64_t completed_ = 0;
    bool shut_ = false;
};

} // namespace runninghub::detail
