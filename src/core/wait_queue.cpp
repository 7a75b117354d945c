// SPDX-License-Identifier: BSL-1.0
#include "core/wait_queue.hpp"

#include <algorithm>
#include <utility>

namespace runninghub::detail {

duration wait_queue::next_delay(const wait_entry& e, const poll_policy& p, unsigned n, time_point now,
                                double u) const {
    // With webhooks the event says when; otherwise what past tasks took.
    if (safety_ > duration::zero())
        return poll_delay(p, n, u);
    return learned_poll_delay(p, durations_, now - e.started, n, u);
}

void wait_queue::add(wait_entry& e, std::optional<poll_policy> own, duration timeout, time_point started,
                     time_point now, double u) {
    if (own) {
        policies_.insert_or_assign(&e, *own);
        e.own_policy = true;
    } else if (safety_ > duration::zero()) {
        poll_policy p = client_policy_;
        p.first_delay = p.interval = p.cap = safety_;
        policies_.insert_or_assign(&e, p);
        e.own_policy = e.safety_policy = true;
    }
    if (safety_ > duration::zero()) {
        by_id_.emplace(e.id, &e);
        e.indexed = true;
    }
    e.deadline = timeout >= time_point::max() - now ? time_point::max() : now + timeout;
    e.started = e.last_running = started;
    e.due = std::min(now + next_delay(e, policy_of(e), 0, now, u), e.deadline);
    if (e.indexed) {
        events_.forget_before(now - event_age_);
        if (events_.contains(e.id)) {  // its event came first: query at once
            e.event_seen = e.event_unconfirmed = true;
            e.due = now;
        }
    }
    push(&e);
}

void wait_queue::detach_events(time_point now, const std::function<double()>& uniform) {
    safety_ = duration::zero();
    events_.clear();
    by_id_.clear();
    for (auto* e : entries()) {
        e->indexed = false;
        if (!e->safety_policy)
            continue;
        drop_policy(*e);
        if (e->heap_index == wait_entry::npos)
            continue;  // in flight: its answer schedules it on the client's policy
        auto due = std::min(now + next_delay(*e, client_policy_, e->polls, now, uniform()), e->deadline);
        if (due < e->due) {
            erase(e);
            e->due = due;
            push(e);
        }
    }
}

std::optional<wait_queue::due_item> wait_queue::pop_due(time_point now) {
    if (heap_.empty() || heap_.front()->due > now || inflight_.size() >= max_inflight_)
        return std::nullopt;
    wait_entry* e = heap_.front();
    erase(e);
    if (now >= e->deadline)
        return due_item{e, true};  // out of the heap; the shell finishes it (remove())
    e->inflight = true;
    e->confirming = e->event_unconfirmed;
    ++e->polls;
    inflight_.push_back(e);
    return due_item{e, false};
}

time_point wait_queue::next_wakeup(time_point now) const noexcept {
    if (heap_.empty())
        return time_point::max();
    time_point due = heap_.front()->due;
    if (due <= now && inflight_.size() >= max_inflight_)
        return time_point::max();
    return due;
}

void wait_queue::returned(wait_entry& e) {
    e.inflight = false;
    std::erase(inflight_, &e);
}

wait_queue::verdict wait_queue::on_result(wait_entry& e, const error_code& ec, task_status status,
                                          duration retry_after, time_point now, double u) {
    // After a TASK_END event the client's own pace applies (the service may
    // lag a moment behind its event); before it, the wait's own schedule.
    const auto& policy = e.event_seen ? client_policy_ : policy_of(e);
    auto delay = e.event_seen ? poll_delay(policy, 1, u) : next_delay(e, policy, e.polls, now, u);
    bool confirming = e.confirming;
    e.confirming = false;
    verdict v;
    if (!ec) {
        e.errors = 0;
        e.set_last(status);
        if (!is_terminal(status)) {
            e.last_running = now;
            if (confirming) {
                // The query is the truth: the event is forgotten, so that the
                // task's genuine event still makes it query at once.
                e.event_unconfirmed = false;
                events_.forget(e.id);
                v.contradicted = true;
            } else if (e.event_unconfirmed) {
                delay = duration::zero();  // the event came while this query was out: ask again now
            }
        } else {
            if (!e.event_seen)  // it ended between the last poll that saw it running and this one
                durations_.add(e.last_running + (now - e.last_running) / 2 - e.started);
            if (status == task_status::success)
                return {true, {}};
            return {true, make_error_code(status == task_status::failed ? errc::task_failed : errc::task_cancelled)};
        }
    } else if (is_retryable(ec) && ++e.errors <= policy.max_poll_errors) {
        // Polling goes on at its own pace (no retry budget: a wait costs a
        // query per poll either way); a Retry-After may slow it, up to the cap.
        if (retry_after > delay)
            delay = std::min(retry_after, policy.cap);
    } else {
        return {true, ec};
    }
    e.due = std::min(now + delay, e.deadline);
    push(&e);
    return v;
}

void wait_queue::on_event(std::string_view id, time_point now) {
    if (safety_ > duration::zero())
        events_.remember(id, now);  // for a wait() that comes after its event
    auto [first, last] = by_id_.equal_range(id);
    for (auto it = first; it != last; ++it) {
        wait_entry* e = it->second;
        if (e->done)
            continue;
        e->event_seen = e->event_unconfirmed = true;
        if (e->inflight) {
            e->confirming = false;  // that query went out before this event: on_result asks again at once
            continue;
        }
        erase(e);
        e->due = now;
        push(e);
    }
}

void wait_queue::remove(wait_entry& e) {
    e.done = true;
    if (e.heap_index != wait_entry::npos)
        erase(&e);
    unindex(&e);
    drop_policy(e);
}

void wait_queue::drop_policy(wait_entry& e) {
    if (e.own_policy)
        policies_.erase(&e);
    e.own_policy = e.safety_policy = false;
}

void wait_queue::unindex(wait_entry* e) {
    if (!e->indexed)
        return;
    auto [first, last] = by_id_.equal_range(e->id);
    for (auto it = first; it != last; ++it)
        if (it->second == e) {
            by_id_.erase(it);
            break;
        }
    e->indexed = false;
}

std::vector<wait_entry*> wait_queue::entries() const {
    auto all = heap_;
    all.insert(all.end(), inflight_.begin(), inflight_.end());
    return all;
}

// --- the heap, with each entry knowing its place (O(log n) removal)
void wait_queue::place(std::size_t i, wait_entry* e) {
    heap_[i] = e;
    e->heap_index = static_cast<std::uint32_t>(i);
}

void wait_queue::sift_up(std::size_t i) {
    wait_entry* e = heap_[i];
    while (i > 0) {
        std::size_t parent = (i - 1) / 2;
        if (heap_[parent]->due <= e->due)
            break;
        place(i, heap_[parent]);
        i = parent;
    }
    place(i, e);
}

void wait_queue::sift_down(std::size_t i) {
    wait_entry* e = heap_[i];
    std::size_t n = heap_.size();
    for (;;) {
        std::size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && heap_[child + 1]->due < heap_[child]->due)
            ++child;
        if (e->due <= heap_[child]->due)
            break;
        place(i, heap_[child]);
        i = child;
    }
    place(i, e);
}

void wait_queue::push(wait_entry* e) {
    heap_.push_back(e);
    sift_up(heap_.size() - 1);
}

void wait_queue::erase(wait_entry* e) {
    std::size_t i = e->heap_index;
    e->heap_index = wait_entry::npos;
    wait_entry* last = heap_.back();
    heap_.pop_back();
    if (last == e)
        return;
    place(i, last);
    sift_up(i);
    sift_down(last->heap_index);
}

} // namespace runninghub::detail
