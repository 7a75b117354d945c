#include "client/throttle.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;

namespace runninghub::detail {

asio::awaitable<error_code> submit_gate::acquire() {
    if (!enabled())
        co_return error_code{};
    if (shut_)
        co_return make_error_code(errc::client_shut_down);
    if (queue_.empty() && in_flight_ < limit()) {
        ++in_flight_;
        co_return error_code{};
    }
    waiter w(ex_);
    w.timer.expires_at(time_point::max());
    queue_.push_back(&w);
    queued_peak_ = std::max(queued_peak_, queue_.size());
    co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (w.granted)
        co_return error_code{};  // the slot was counted by the granter
    std::erase(queue_, &w);
    co_return shut_ ? make_error_code(errc::client_shut_down) : error_code(asio::error::operation_aborted);
}

void submit_gate::grant_waiting() {
    while (!queue_.empty() && in_flight_ < limit()) {
        waiter* w = queue_.front();
        queue_.pop_front();
        ++in_flight_;
        w->granted = true;
        w->timer.cancel();
    }
}

void submit_gate::release() {
    if (in_flight_ > 0)
        --in_flight_;
    grant_waiting();
}

void submit_gate::on_queue_maxed(std::string reason) {
    // Someone else shares the account (or it is smaller than configured):
    // halve the window; accepted submits grow it back.
    ++shrinks_;
    window_ = std::max(1.0, std::min(window_, static_cast<double>(in_flight_)) / 2.0);
    last_reason_ = std::move(reason);
}

void submit_gate::shutdown() {
    shut_ = true;
    for (auto* w : queue_)
        w->timer.cancel();
}

throttle_stats submit_gate::stats() const {
    throttle_stats s;
    s.max = max_;
    s.window = window_;
    s.in_flight = in_flight_;
    s.queued = queue_.size();
    s.queued_peak = queued_peak_;
    s.shrinks = shrinks_;
    s.last_reason = last_reason_;
    return s;
}

} // namespace runninghub::detail
