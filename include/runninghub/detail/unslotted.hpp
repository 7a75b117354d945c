// SPDX-License-Identifier: BSL-1.0
#pragma once
// detail::unslotted: a handler seen without its cancellation slot, for
// operations that listen on the caller's slot themselves (client.hpp).

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associator.hpp>

#include <utility>

namespace runninghub::detail {

/// `h` seen without its cancellation slot (its executor and allocator stay):
/// erased so, it keeps no cancellation state of its own. Not Asio's
/// bind_cancellation_slot, which cannot wrap a handler that is itself a binder on Boost 1.81.
template <class H>
struct unslotted {
    H h;
    template <class... A>
    void operator()(A&&... a) { std::move(h)(std::forward<A>(a)...); }
};

} // namespace runninghub::detail

namespace boost::asio {
template <template <typename, typename> class Associator, typename H, typename DefaultCandidate>
struct associator<Associator, runninghub::detail::unslotted<H>, DefaultCandidate> {
    using type = typename Associator<H, DefaultCandidate>::type;
    static type get(const runninghub::detail::unslotted<H>& u) noexcept { return Associator<H, DefaultCandidate>::get(u.h); }
    static auto get(const runninghub::detail::unslotted<H>& u, const DefaultCandidate& c) noexcept
        -> decltype(Associator<H, DefaultCandidate>::get(u.h, c)) {
        return Associator<H, DefaultCandidate>::get(u.h, c);
    }
};
template <typename H, typename Slot>
struct associated_cancellation_slot<runninghub::detail::unslotted<H>, Slot> {
    using type = Slot;
    static type get(const runninghub::detail::unslotted<H>&, const Slot& s = Slot()) noexcept { return s; }
};
} // namespace boost::asio
