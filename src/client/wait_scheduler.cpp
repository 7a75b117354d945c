#include "client/client_impl.hpp"
#include "codec/codec.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

namespace asio = boost::asio;

namespace runninghub::detail {

struct wait_scheduler::cancel_fn {
    wait_scheduler* self;
    wait_record* r;
    void operator()(asio::cancellation_type_t) const { self->on_cancel(r); }
};

wait_scheduler::wait_scheduler(client::impl& owner) : owner_(owner), timer_(owner.ex) {}

wait_scheduler::~wait_scheduler() {
    shutdown();
}

duration wait_scheduler::next_delay(const wait_record& r, const poll_policy& p, unsigned n, time_point now) {
    // With webhooks the event says when; otherwise what past tasks took.
    if (safety_ > duration::zero())
        return poll_delay(p, n, owner_.uniform());
    return learned_poll_delay(p, owner_.durations, now - r.started, n, owner_.uniform());
}

const poll_policy& wait_scheduler::policy_of(const wait_record& r) const {
    return r.policy ? *r.policy : owner_.opts.poll;
}

void wait_scheduler::add(std::string id, wait_options opts, client::task_handler h) {
    if (shut_) {
        task t;
        t.id = std::move(id);
        return deliver(owner_.ex, std::move(h), make_error_code(errc::client_shut_down), std::move(t));
    }
    auto* r = new wait_record(std::move(id), std::move(h));
    if (opts.poll) {
        r->policy = std::make_unique<poll_policy>(*opts.poll);
    } else if (safety_ > duration::zero()) {
        poll_policy p = owner_.opts.poll;
        p.first_delay = p.interval = p.cap = safety_;
        r->policy = std::make_unique<poll_policy>(p);
    }
    if (safety_ > duration::zero()) {
        by_id_.emplace(r->id, r);
        r->indexed = true;
    }
    auto now = clock::now();
    r->deadline = opts.timeout >= time_point::max() - now ? time_point::max() : now + opts.timeout;
    auto known = owner_.tasks_in_flight.find(r->id);
    r->started = r->last_running = known != owner_.tasks_in_flight.end() ? known->second : now;
    r->due = std::min(now + next_delay(*r, policy_of(*r), 0, now), r->deadline);
    auto slot = asio::get_associated_cancellation_slot(r->handler);
    if (slot.is_connected())
        slot.template emplace<cancel_fn>(cancel_fn{this, r});
    ++pending_;
    push(r);
    arm();
}

// --- the heap, with each record knowing its place (O(log n) removal)
void wait_scheduler::place(std::size_t i, wait_record* r) {
    heap_[i] = r;
    r->heap_index = static_cast<std::uint32_t>(i);
}

void wait_scheduler::sift_up(std::size_t i) {
    wait_record* r = heap_[i];
    while (i > 0) {
        std::size_t parent = (i - 1) / 2;
        if (heap_[parent]->due <= r->due)
            break;
        place(i, heap_[parent]);
        i = parent;
    }
    place(i, r);
}

void wait_scheduler::sift_down(std::size_t i) {
    wait_record* r = heap_[i];
    std::size_t n = heap_.size();
    for (;;) {
        std::size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && heap_[child + 1]->due < heap_[child]->due)
            ++child;
        if (r->due <= heap_[child]->due)
            break;
        place(i, heap_[child]);
        i = child;
    }
    place(i, r);
}

void wait_scheduler::push(wait_record* r) {
    heap_.push_back(r);
    sift_up(heap_.size() - 1);
}

void wait_scheduler::erase(wait_record* r) {
    std::size_t i = r->heap_index;
    r->heap_index = wait_record::npos;
    wait_record* last = heap_.back();
    heap_.pop_back();
    if (last == r)
        return;
    place(i, last);
    sift_up(i);
    sift_down(last->heap_index);
}

// --- the loop
void wait_scheduler::pump() {
    auto now = clock::now();
    auto max_inflight = owner_.opts.max_concurrent_polls;
    while (!heap_.empty() && heap_.front()->due <= now && inflight_.size() < max_inflight) {
        wait_record* r = heap_.front();
        erase(r);
        if (now >= r->deadline) {
            task t;
            t.id = r->id;
            t.status = r->last;
            t.diag.server_message = "still " + std::string(to_string(r->last)) + " at the wait deadline";
            finish(r, make_error_code(errc::wait_timeout), std::move(t));
            continue;
        }
        launch(r);
    }
    arm();
}

void wait_scheduler::arm() {
    if (heap_.empty() || shut_) {
        // Nothing to poll: no timer may keep the io_context running.
        if (armed_ != time_point::max()) {
            armed_ = time_point::max();
            timer_.cancel();
        }
        return;
    }
    time_point due = heap_.front()->due;
    if (due <= clock::now() && inflight_.size() >= owner_.opts.max_concurrent_polls)
        return;  // a query's completion pumps again
    if (due == armed_)
        return;
    armed_ = due;
    timer_.expires_at(due);
    timer_.async_wait([self = owner_.shared_from_this(), due](error_code ec) {
        auto& w = self->waits;
        if (ec || w.armed_ != due)
            return;
        w.armed_ = time_point::max();
        w.pump();
    });
}

void wait_scheduler::launch(wait_record* r) {
    r->inflight = true;
    inflight_.push_back(r);
    ++r->polls;
    auto self = owner_.shared_from_this();
    asio::co_spawn(owner_.ex, owner_.query_once(r->id, r->deadline),
                   asio::bind_cancellation_slot(r->query_cancel.slot(),
                                                [self, r](std::exception_ptr ep, outcome o) {
                                                    self->waits.on_query(r, ep, std::move(o));
                                                }));
}

void wait_scheduler::on_event(const std::string& id) {
    auto [first, last] = by_id_.equal_range(id);
    std::vector<wait_record*> hits;
    for (auto it = first; it != last; ++it)
        hits.push_back(it->second);
    auto now = clock::now();
    for (auto* r : hits) {
        if (r->done)
            continue;
        r->event_seen = true;
        if (r->inflight)
            continue;  // on_query sees event_seen and polls again at once
        erase(r);
        r->due = now;
        push(r);
    }
    pump();
}

void wait_scheduler::on_query(wait_record* r, std::exception_ptr ep, outcome o) {
    r->inflight = false;
    std::erase(inflight_, r);
    if (r->done) {
        maybe_delete(r);
        return pump();
    }
    if (ep)
        o.ec = asio::error::operation_aborted;
    // After a TASK_END event the client's own pace applies (the service may
    // lag a moment behind its event); before it, the safety interval.
    const auto& policy = r->event_seen ? owner_.opts.poll : policy_of(*r);
    auto delay = r->event_seen ? poll_delay(policy, 1, owner_.uniform())
                               : next_delay(*r, policy, r->polls, clock::now());
    if (!o.ec) {
        r->errors = 0;
        r->last = o.t.status;
        auto now = clock::now();
        if (is_terminal(o.t.status) && !r->event_seen) {
            // It ended between the last poll that saw it running and this one.
            owner_.durations.add(r->last_running + (now - r->last_running) / 2 - r->started);
        } else if (!is_terminal(o.t.status)) {
            r->last_running = now;
        }
        if (is_terminal(o.t.status)) {
            error_code ec;
            if (o.t.status != task_status::success) {
                ec = make_error_code(o.t.status == task_status::failed ? errc::task_failed : errc::task_cancelled);
                o.t.diag.endpoint = "POST /openapi/v2/query";
                o.t.diag.server_code = o.t.error_code;
                o.t.diag.server_message = o.t.error_message;
            }
            finish(r, ec, std::move(o.t));
            return pump();
        }
    } else if (is_retryable(o.ec) && ++r->errors <= policy.max_poll_errors) {
        if (o.retry_after > delay)
            delay = std::min(o.retry_after, policy.cap);
        if (owner_.log.enabled(log_level::debug))
            owner_.log(log_level::debug, "wait " + r->id + ": query failed (" + o.ec.message() + "), polling on");
    } else {
        o.t.id = r->id;
        o.t.status = r->last;
        finish(r, o.ec, std::move(o.t));
        return pump();
    }
    r->due = std::min(clock::now() + delay, r->deadline);
    push(r);
    pump();
}

void wait_scheduler::on_cancel(wait_record* r) {
    // Called where the signal is emitted, maybe on another thread: touch
    // nothing but the atomic counter, and complete on the client's strand.
    r->cancel_posts.fetch_add(1, std::memory_order_acq_rel);
    asio::post(owner_.ex, [self = owner_.shared_from_this(), r] {
        auto& w = self->waits;
        r->cancel_posts.fetch_sub(1, std::memory_order_acq_rel);
        if (!r->done) {
            task t;
            t.id = r->id;
            t.status = r->last;
            w.finish(r, asio::error::operation_aborted, std::move(t));
            w.pump();
        } else {
            w.maybe_delete(r);
        }
    });
}

void wait_scheduler::finish(wait_record* r, error_code ec, task t) {
    if (r->done)
        return;
    r->done = true;
    if (r->heap_index != wait_record::npos)
        erase(r);
    if (r->inflight)
        r->query_cancel.emit(asio::cancellation_type::terminal);
    if (r->indexed) {
        auto [first, last] = by_id_.equal_range(r->id);
        for (auto it = first; it != last; ++it)
            if (it->second == r) {
                by_id_.erase(it);
                break;
            }
        r->indexed = false;
    }
    asio::get_associated_cancellation_slot(r->handler).clear();
    if (!is_terminal(t.status) && ec != errc::client_shut_down)
        owner_.task_ended(r->id, false);
    auto h = std::move(r->handler);
    --pending_;
    ++completed_;
    maybe_delete(r);
    if (heap_.empty())
        arm();
    deliver(owner_.ex, std::move(h), ec, std::move(t));
}

void wait_scheduler::maybe_delete(wait_record* r) {
    if (r->done && !r->inflight && r->cancel_posts.load(std::memory_order_acquire) == 0)
        delete r;
}

void wait_scheduler::shutdown() {
    if (shut_)
        return;
    shut_ = true;
    timer_.cancel();
    auto all = heap_;
    all.insert(all.end(), inflight_.begin(), inflight_.end());
    for (auto* r : all) {
        task t;
        t.id = r->id;
        t.status = r->last;
        finish(r, make_error_code(errc::client_shut_down), std::move(t));
    }
}

} // namespace runninghub::detail
