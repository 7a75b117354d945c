// SPDX-License-Identifier: BSL-1.0
// run_and_wait: a composed operation of callbacks (not a coroutine), so that
// one inner cancellation signal, emitted by the deadline timer or by the
// caller's cancellation, stops whichever phase runs; then an accepted task is
// cancelled at the service.

#include "client/client_impl.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>

namespace asio = boost::asio;

namespace runninghub {

namespace detail {

// Run, then wait, each bound to an inner cancellation signal that the
// deadline timer or the caller's own cancellation emits; then, if a task was
// accepted and the run was aborted, cancel it at the service.
struct run_and_wait_op : std::enable_shared_from_this<run_and_wait_op> {
    run_and_wait_op(std::shared_ptr<client_impl> s, handler<run_result> done, run_and_wait_options options)
        : self(std::move(s)), h(std::move(done)), opts(std::move(options)), deadline(self->ex) {}

    struct canceller {
        run_and_wait_op* o;
        void operator()(asio::cancellation_type_t) const {
            asio::post(o->self->ex, [keep = o->shared_from_this()] { keep->abort(asio::error::operation_aborted); });
        }
    };

    void start(bool workflow, std::string id, std::vector<node_input> inputs, run_options ro) {
        auto slot = asio::get_associated_cancellation_slot(h);
        if (slot.is_connected())
            slot.template emplace<canceller>(canceller{this});
        call = ro.call;  // its deadline and header fields go on the wait's and the cancel's requests
        call.retry.reset();
        deadline.expires_after(opts.timeout);
        deadline.async_wait([keep = shared_from_this()](error_code ec) {
            if (!ec)
                keep->abort(make_error_code(errc::deadline_exceeded));
        });
        client::start_run(self, workflow, std::move(id), std::move(inputs), std::move(ro),
                          handler<task>(asio::bind_cancellation_slot(
                              inner.slot(), [keep = shared_from_this()](error_code ec, task t) {
                                  keep->on_run(ec, std::move(t));
                              })));
    }

    void on_run(error_code ec, task t) {
        bool accepted = !ec && !t.id.empty();
        result.t = std::move(t);
        if (accepted && opts.on_accepted)
            opts.on_accepted(result.t);
        if (abort_reason) {
            if (!accepted && ec == asio::error::operation_aborted)
                result.t.diag.server_message = "aborted while submitting: if the request had gone out, the task may exist";
            return accepted ? cancel_task() : complete(abort_reason);
        }
        if (!accepted)
            return complete(ec);
        wait_options wo;
        wo.timeout = opts.timeout + std::chrono::minutes(1);  // the deadline timer decides
        wo.poll = opts.poll;
        wo.on_status = opts.on_status;
        wo.call = call;
        client::start_wait(self, result.t.id, std::move(wo),
                           handler<task>(asio::bind_cancellation_slot(
                               inner.slot(), [keep = shared_from_this()](error_code ec, task t) {
                                   keep->on_wait(ec, std::move(t));
                               })));
    }

    void on_wait(error_code ec, task t) {
        if (!t.id.empty())
            result.t = std::move(t);
        if (abort_reason)
            return is_terminal(result.t.status) ? complete(abort_reason) : cancel_task();
        complete(ec);
    }

    void abort(error_code reason) {
        if (finished || abort_reason)
            return;
        abort_reason = reason;
        inner.emit(asio::cancellation_type::terminal);
    }

    void cancel_task() {
        if (!opts.cancel_on_abort)
            return complete(abort_reason);
        result.cancel_requested = true;
        client::start_cancel(self, result.t.id, call,
                             handler<task>([keep = shared_from_this()](error_code ec, task) {
                                 keep->result.cancel_confirmed = !ec;
                                 if (ec)
                                     keep->result.t.diag.cause = ec;
                                 keep->complete(keep->abort_reason);
                             }));
    }

    void complete(error_code ec) {
        if (finished)
            return;
        finished = true;
        deadline.cancel();
        asio::get_associated_cancellation_slot(h).clear();
        auto hex = asio::get_associated_executor(h, self->ex);
        asio::post(self->ex, asio::bind_executor(hex, [h = std::move(h), ec, r = std::move(result)]() mutable {
                       std::move(h)(ec, std::move(r));
                   }));
    }

    std::shared_ptr<client_impl> self;
    handler<run_result> h;
    run_and_wait_options opts;
    call_overrides call;
    asio::steady_timer deadline;
    asio::cancellation_signal inner;
    run_result result;
    error_code abort_reason;
    bool finished = false;
};

} // namespace detail

void client::start_run_and_wait(std::shared_ptr<impl> self, bool workflow, std::string id,
                                std::vector<node_input> inputs, run_options ro, run_and_wait_options o,
                                result_handler h) {
    if (o.timeout <= duration::zero()) {
        run_result r;
        r.t.diag.server_message = "run_and_wait_options::timeout must be positive";
        auto hex = asio::get_associated_executor(h, self->ex);
        asio::post(self->ex, asio::bind_executor(hex, [h = std::move(h), r = std::move(r)]() mutable {
                       std::move(h)(make_error_code(errc::invalid_options), std::move(r));
                   }));
        return;
    }
    auto ex = self->ex;
    auto o_ptr = std::make_shared<detail::run_and_wait_op>(std::move(self), std::move(h), std::move(o));
    asio::dispatch(ex, [o_ptr, workflow, id = std::move(id), inputs = std::move(inputs), ro = std::move(ro)]() mutable {
        o_ptr->start(workflow, std::move(id), std::move(inputs), std::move(ro));
    });
}

} // namespace runninghub
