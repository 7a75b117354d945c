// SPDX-License-Identifier: BSL-1.0
#pragma once
// with_diagnostics(token): a completion token adapter for operations whose
// signature is void(error_code, T), where T carries the diagnostics. A failure
// reaches the inner token as an exception_ptr to a runninghub::error holding
// the code *and* the service's message, status and endpoint, so that
//
//     try { auto t = co_await client.run(app, inputs); }
//     catch (const runninghub::error& e) { e.diag().server_message … }
//
// keeps what a plain system_error would lose. It is the client's default
// token (default_token: with_diagnostics over use_awaitable). Tokens that take
// the error as a value (as_tuple, callbacks, use_future …) are used as given.

#include <runninghub/error.hpp>

#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

namespace runninghub {

template <class CompletionToken>
struct with_diagnostics_t {
    CompletionToken token;
};

/// Wraps `token` so that failures carry their diagnostics as runninghub::error.
template <class CompletionToken>
with_diagnostics_t<std::decay_t<CompletionToken>> with_diagnostics(CompletionToken&& token) {
    return {std::forward<CompletionToken>(token)};
}

/// The default completion token of every operation: `co_await` returns the
/// value, or throws runninghub::error with its diagnostics.
using default_token = with_diagnostics_t<boost::asio::use_awaitable_t<>>;

namespace detail {

/// The diagnostics of a result: its `diag`, or its task's (run_result).
template <class T>
const diagnostics& diagnostics_of(const T& value) {
    if constexpr (requires { value.diag; })
        return value.diag;
    else
        return value.t.diag;
}

/// The task a result names (its id, or its task's), for runninghub::error::task_id().
template <class T>
std::string task_id_of(const T& value) {
    if constexpr (requires { value.id; })
        return value.id;
    else if constexpr (requires { value.t.id; })
        return value.t.id;
    else
        return {};
}

template <class Handler, class T>
struct diagnostics_handler {
    Handler handler;
    // The value by reference: a task is ~600 bytes, and each hop that takes it by value moves it.
    void operator()(error_code ec, T&& value) {
        if (!ec)
            return std::move(handler)(std::exception_ptr(), std::move(value));
        auto ep = std::make_exception_ptr(error(ec, diagnostics_of(value), task_id_of(value)));
        std::move(handler)(ep, std::move(value));
    }
    // An operation of the user's own may complete with an lvalue (async_compose's self.complete(ec, member)).
    void operator()(error_code ec, const T& value) { (*this)(ec, T(value)); }
};

} // namespace detail
} // namespace runninghub

namespace boost::asio {

template <class CompletionToken, class T>
struct async_result<runninghub::with_diagnostics_t<CompletionToken>, void(runninghub::error_code, T)> {
    template <class Initiation, class RawToken, class... Args>
    static auto initiate(Initiation&& init, RawToken&& token, Args&&... args) {
        return async_initiate<CompletionToken, void(std::exception_ptr, T)>(
            [init = std::forward<Initiation>(init)](auto&& handler, auto&&... a) mutable {
                using handler_t = std::decay_t<decltype(handler)>;
                // Forwarded, not moved: a token may pass the arguments as lvalues (use_future
                // does), and one of them is the client's own state.
                std::move(init)(runninghub::detail::diagnostics_handler<handler_t, T>{std::move(handler)},
                                std::forward<decltype(a)>(a)...);
            },
            token.token, std::forward<Args>(args)...);  // async_initiate takes the token as an lvalue on 1.81
    }
};

// The wrapped handler keeps the inner handler's executor, cancellation slot and allocator.
template <template <class, class> class Associator, class Handler, class T, class DefaultCandidate>
struct associator<Associator, runninghub::detail::diagnostics_handler<Handler, T>, DefaultCandidate>
    : Associator<Handler, DefaultCandidate> {
    static typename Associator<Handler, DefaultCandidate>::type get(
        const runninghub::detail::diagnostics_handler<Handler, T>& h) noexcept {
        return Associator<Handler, DefaultCandidate>::get(h.handler);
    }
    static auto get(const runninghub::detail::diagnostics_handler<Handler, T>& h, const DefaultCandidate& c) noexcept
        -> decltype(Associator<Handler, DefaultCandidate>::get(h.handler, c)) {
        return Associator<Handler, DefaultCandidate>::get(h.handler, c);
    }
};

} // namespace boost::asio
