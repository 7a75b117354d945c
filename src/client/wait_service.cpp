// SPDX-License-Identifier: BSL-1.0
#include "client/wait_service.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <cassert>
#include <cstring>
#include <new>

namespace asio = boost::asio;

namespace runninghub::detail {

/// A pending wait: its schedule (the queue's part), its handler, the slot it
/// listens on and the cancellation of its query in flight. A compact record,
/// not a coroutine: one heap block, the task id's bytes in its tail.
struct wait_service::record : wait_entry {
    // any_completion_handler must be constructed, never assigned, on Boost 1.81.
    record(std::string_view task_id, detail::handler<task> h) : wait_entry(task_id), handler(std::move(h)) {}
    std::atomic<std::uint32_t> cancel_posts{0};  // cancellations posted, not yet handled (any thread)
    detail::handler<task> handler;
    asio::cancellation_slot caller;  // where cancel_fn is installed (cleared when the wait ends)
    asio::cancellation_signal query_cancel;

    static record* make(std::string_view id, detail::handler<task> h) {
        void* p = ::operator new(sizeof(record) + id.size());
        char* tail = static_cast<char*>(p) + sizeof(record);
        std::memcpy(tail, id.data(), id.size());
        return ::new (p) record(std::string_view(tail, id.size()), std::move(h));
    }
    static void destroy(record* r) {
        r->~record();
        ::operator delete(static_cast<void*>(r));
    }
};
// First member in wait_entry's tail padding: 96 bytes, plus a 19-digit id a 128-byte heap block.
static_assert(sizeof(wait_entry) <= 64);

struct wait_service::cancel_fn {
    wait_service* self;
    record* r;
    void operator()(asio::cancellation_type_t) const { self->on_cancel(r); }
};

namespace {
/// Hands (ec, t) to h through its associated executor, never inline.
void deliver(const asio::any_io_executor& ex, detail::handler<task> h, error_code ec, task t) {
    auto hex = asio::get_associated_executor(h, ex);
    asio::post(ex, asio::bind_executor(hex, [h = std::move(h), ec, t = std::move(t)]() mutable {
                   std::move(h)(ec, std::move(t));
               }));
}

task last_seen(const wait_entry& e) {
    task t;
    t.id = e.id;
    t.status = e.last();
    return t;
}
} // namespace

wait_service::wait_service(asio::any_io_executor ex, const client_options& opts, task_registry& tasks,
                           query_function query, const logger& log)
    : ex_(ex), tasks_(tasks), query_(std::move(query)), log_(log),
      queue_(opts.poll, opts.max_concurrent_polls), timer_(ex), rng_(std::random_device{}()) {}

wait_service::~wait_service() { shutdown(); }

void wait_service::add(std::string id, wait_options opts, call_settings cs, detail::handler<task> h,
                       asio::cancellation_slot slot) {
    if (shut_) {
        task t;
        t.id = std::move(id);
        return deliver(ex_, std::move(h), make_error_code(errc::client_shut_down), std::move(t));
    }
    assert(!anchor_.expired() && "wait_service::anchor() must be set before waits are added");
    auto* r = record::make(id, std::move(h));
    auto now = clock::now();
    queue_.add(*r, std::move(opts.poll), opts.timeout, tasks_.accepted_at(r->id).value_or(now), now, uniform());
    if (opts.on_status)
        watchers_.emplace(r, std::move(opts.on_status));
    if (!cs.plain())
        settings_.emplace(r, std::make_shared<const call_settings>(std::move(cs)));
    if (!slot.is_connected())
        slot = asio::get_associated_cancellation_slot(r->handler);
    if (slot.is_connected()) {
        r->caller = slot;
        slot.template emplace<cancel_fn>(cancel_fn{this, r});
    }
    ++pending_;
    arm();
}

void wait_service::pump() {
    auto now = clock::now();
    while (auto item = queue_.pop_due(now)) {
        auto* r = static_cast<record*>(item->entry);
        if (!item->expired) {
            launch(r);
            continue;
        }
        task t = last_seen(*r);
        t.diag.server_message = "still " + std::string(to_string(r->last())) + " at the wait deadline";
        finish(r, make_error_code(errc::wait_timeout), std::move(t));
    }
    arm();
}

void wait_service::arm() {
    auto due = shut_ ? time_point::max() : queue_.next_wakeup(clock::now());
    if (due == time_point::max()) {
        // Nothing to poll (or a query's completion pumps): no timer may keep the io_context running.
        if (armed_ != time_point::max()) {
            armed_ = time_point::max();
            timer_.cancel();
        }
        return;
    }
    if (due == armed_)
        return;
    armed_ = due;
    timer_.expires_at(due);
    timer_.async_wait([this, keep = anchor_.lock(), due](error_code ec) {
        if (ec || armed_ != due)
            return;
        armed_ = time_point::max();
        pump();
    });
}

void wait_service::launch(record* r) {
    std::shared_ptr<const call_settings> cs;
    if (!settings_.empty())
        if (auto it = settings_.find(r); it != settings_.end())
            cs = it->second;
    auto* raw = cs.get();
    asio::co_spawn(ex_, query_(r->id, r->deadline, raw),
                   asio::bind_cancellation_slot(
                       r->query_cancel.slot(),
                       [this, keep = anchor_.lock(), r, cs = std::move(cs)](std::exception_ptr ep, outcome o) {
                           on_query(r, ep, std::move(o));
                       }));
}

void wait_service::set_safety_interval(duration safety) {
    if (safety > duration::zero()) {
        queue_.set_safety_interval(safety);
        return;
    }
    forget_ = nullptr;
    queue_.detach_events(clock::now(), [this] { return uniform(); });
    arm();  // the next poll may be sooner now
}

void wait_service::on_event(const std::string& id) {
    queue_.on_event(id, clock::now());
    pump();
}

void wait_service::on_query(record* r, std::exception_ptr ep, outcome o) {
    queue_.returned(*r);
    if (r->done) {
        maybe_delete(r);
        return pump();
    }
    if (ep)
        o.ec = asio::error::operation_aborted;
    auto before = r->last();
    auto v = queue_.on_result(*r, o.ec, o.t.status, o.retry_after, clock::now(), uniform());
    if (!o.ec && !v.finish && o.t.status != before)
        if (auto w = watchers_.find(r); w != watchers_.end())
            w->second(o.t);  // QUEUED -> RUNNING …; the end goes to the handler
    if (v.contradicted) {
        if (forget_)
            forget_(std::string(r->id));
        if (log_.enabled(log_level::info))
            log_(log_level::info, "wait " + std::string(r->id) + ": its TASK_END event was forged or early, the task is " +
                                      std::string(to_string(o.t.status)) + ": event forgotten, polling on");
    }
    if (v.finish) {
        if (o.ec) {
            o.t.id = r->id;  // the query's error: the wait ends with the last status it saw
            o.t.status = r->last();
        } else if (v.ec) {
            o.t.diag.endpoint = "POST /openapi/v2/query";
            o.t.diag.server_code = o.t.error_code;
            o.t.diag.server_message = o.t.error_message;
        }
        finish(r, v.ec, std::move(o.t));
    } else if (o.ec && log_.enabled(log_level::debug)) {
        log_(log_level::debug, "wait " + std::string(r->id) + ": query failed (" + o.ec.message() + "), polling on");
    }
    pump();
}

void wait_service::on_cancel(record* r) {
    // Called where the signal is emitted, maybe on another thread: touch
    // nothing but the atomic counter, and complete on the client's strand.
    r->cancel_posts.fetch_add(1, std::memory_order_acq_rel);
    asio::post(ex_, [this, keep = anchor_.lock(), r] {
        r->cancel_posts.fetch_sub(1, std::memory_order_acq_rel);
        if (!r->done) {
            finish(r, asio::error::operation_aborted, last_seen(*r));
            pump();
        } else {
            maybe_delete(r);
        }
    });
}

void wait_service::finish(record* r, error_code ec, task t) {
    if (r->done)
        return;
    queue_.remove(*r);
    watchers_.erase(r);
    settings_.erase(r);
    if (r->inflight)
        r->query_cancel.emit(asio::cancellation_type::terminal);
    if (r->caller.is_connected())
        r->caller.clear();
    if (!is_terminal(t.status) && ec != errc::client_shut_down)
        tasks_.ended(r->id, false, clock::now());
    auto h = std::move(r->handler);
    --pending_;
    ++completed_;
    maybe_delete(r);
    if (queue_.empty())
        arm();  // nothing left: no timer may keep the io_context running
    deliver(ex_, std::move(h), ec, std::move(t));
}

void wait_service::maybe_delete(record* r) {
    if (r->done && !r->inflight && r->cancel_posts.load(std::memory_order_acquire) == 0)
        record::destroy(r);
}

void wait_service::shutdown() {
    if (shut_)
        return;
    shut_ = true;
    timer_.cancel();
    for (auto* e : queue_.entries())
        finish(static_cast<record*>(e), make_error_code(errc::client_shut_down), last_seen(*e));
}

} // namespace runninghub::detail
