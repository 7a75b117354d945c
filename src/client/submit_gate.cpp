#include "client/submit_gate.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace asio = boost::asio;

namespace runninghub::detail {

asio::awaitable<error_code> submit_gate::acquire() {
    if (!enabled())
        co_return error_code{};
    if (shut_)
        co_return make_error_code(errc::client_shut_down);
    if (queue_.empty() && window_.has_room()) {
        window_.take();
        co_return error_code{};
    }
    waiter w(ex_);
    w.timer.expires_at(time_point::max());
    queue_.push_back(&w);
    queued_peak_ = std::max(queued_peak_, queue_.size());
    co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (w.granted)
        co_return error_code{};  // the slot was taken by the granter
    std::erase(queue_, &w);
    co_return shut_ ? make_error_code(errc::client_shut_down) : error_code(asio::error::operation_aborted);
}

void submit_gate::grant_waiting() {
    while (!queue_.empty() && window_.has_room()) {
        waiter* w = queue_.front();
        queue_.pop_front();
        window_.take();
        w->granted = true;
        w->timer.cancel();
    }
}

void submit_gate::release() {
    window_.give_back();
    grant_waiting();
}

void submit_gate::on_queue_maxed(std::string reason) {
    window_.on_backpressure();
    last_reason_ = std::move(reason);
}

void submit_gate::shutdown() {
    shut_ = true;
    for (auto* w : queue_)
        w->timer.cancel();
}

throttle_stats submit_gate::stats() const {
    throttle_stats s;
    s.max = window_.max();
    s.window = window_.window();
    s.in_flight = window_.in_flight();
    s.queued = queue_.size();
    s.queued_peak = queued_peak_;
    s.shrinks = window_.shrinks();
    s.last_reason = last_reason_;
    return s;
}

} // namespace runninghub::detail
