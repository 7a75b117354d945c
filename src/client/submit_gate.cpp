// SPDX-License-Identifier: BSL-1.0
#include "client/submit_gate.hpp"

#include "net/use_tuple.hpp"

#include <algorithm>

namespace asio = boost::asio;

namespace runninghub::detail {

submit_gate::submit_gate(asio::any_io_executor ex, window_params p)
    : ex_(ex), window_(p), probe_timer_(ex), alive_(std::make_shared<submit_gate*>(this)) {}

submit_gate::~submit_gate() { *alive_ = nullptr; }

asio::awaitable<error_code> submit_gate::acquire(window_ticket& ticket, bool again, time_point deadline) {
    if (shut_)
        co_return make_error_code(errc::client_shut_down);
    if (try_acquire(ticket))
        co_return error_code{};
    waiter w(ex_);
    w.again = again;
    w.timer.expires_at(deadline);
    // After back-pressure a submission keeps its place at the head of the line.
    again ? queue_.push_front(&w) : queue_.push_back(&w);
    queued_peak_ = std::max(queued_peak_, queue_.size());
    grant_waiting();
    if (!w.granted) {
        auto [ec] = co_await w.timer.async_wait(use_tuple);
        if (!w.granted) {
            std::erase(queue_, &w);
            arm_probe();
            if (shut_)
                co_return make_error_code(errc::client_shut_down);
            co_return ec ? error_code(asio::error::operation_aborted) : error_code(asio::error::timed_out);
        }
    }
    ticket = w.ticket;
    co_return error_code{};
}

bool submit_gate::try_acquire(window_ticket& ticket) {
    if (shut_ || !queue_.empty() || !window_.may_send(clock::now()))
        return false;
    ticket = window_.take(clock::now());
    return true;
}

void submit_gate::grant_waiting() {
    auto now = clock::now();
    while (!queue_.empty() && window_.may_send(now)) {
        waiter* w = queue_.front();
        queue_.pop_front();
        w->ticket = window_.take(now);
        w->granted = true;
        w->timer.cancel();
    }
    arm_probe();
}

// The probe timer runs only while someone waits on a blocked window, so an idle
// client never keeps its io_context busy.
void submit_gate::arm_probe() {
    auto at = queue_.empty() ? std::nullopt : window_.probe_at();
    if (!at) {
        if (probe_armed_ != time_point::max()) {
            probe_armed_ = time_point::max();
            probe_timer_.cancel();
        }
        return;
    }
    if (*at == probe_armed_)
        return;
    probe_armed_ = *at;
    probe_timer_.expires_at(*at);
    probe_timer_.async_wait([alive = std::weak_ptr<submit_gate*>(alive_)](error_code ec) {
        auto a = alive.lock();
        if (ec || !a || !*a)
            return;
        (*a)->probe_armed_ = time_point::max();
        (*a)->grant_waiting();
    });
}

void submit_gate::on_accepted(const window_ticket& t) {
    window_.on_accepted(t, clock::now());
    grant_waiting();
}

void submit_gate::give_back(const window_ticket& t) {
    window_.give_back(t, clock::now());
    grant_waiting();
}

void submit_gate::on_backpressure(const window_ticket& t, duration retry_after, double u, std::string reason) {
    window_.on_backpressure(t, clock::now(), retry_after, u);
    last_reason_ = std::move(reason);
    grant_waiting();
}

void submit_gate::task_ended() {
    window_.on_task_end(clock::now());
    grant_waiting();
}

void submit_gate::seed(std::size_t limit) {
    window_.seed(limit);
    grant_waiting();
}

void submit_gate::shutdown() {
    shut_ = true;
    probe_timer_.cancel();
    for (auto* w : queue_)
        w->timer.cancel();
}

throttle_stats submit_gate::stats() const {
    throttle_stats s;
    s.max = window_.cap();
    s.window = window_.window();
    s.limit = window_.limit();
    s.in_flight = window_.in_flight();
    s.tasks = window_.tasks();
    s.queued = queue_.size();
    s.queued_peak = queued_peak_;
    s.waiting_on_backpressure = static_cast<std::size_t>(std::count_if(queue_.begin(), queue_.end(), [](auto* w) { return w->again; }));
    s.blocked = window_.blocked();
    s.discovering = window_.discovering();
    s.seed = window_.seeded();
    s.shrinks = window_.shrinks();
    s.backpressure_answers = window_.backpressure_answers();
    s.probes = window_.probes();
    s.last_reason = last_reason_;
    return s;
}

} // namespace runninghub::detail
