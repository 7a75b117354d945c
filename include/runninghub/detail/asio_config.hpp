// SPDX-License-Identifier: BSL-1.0
#pragma once
/// @file
/// The Asio configuration macros that change what passes between a program and
/// the compiled library (the layout of handlers, executors and the io_context's
/// internals, the return types of Asio's compiled functions) must be the same on
/// both sides; mixed, the program would crash at run time. Each translation unit
/// that includes a public header refers to one symbol per macro, named after
/// whether the macro is defined; the library defines those of its own build.
/// A program built differently fails to link, and the missing symbol names the
/// macro, e.g. "undefined reference to
/// `runninghub::asio_config::BOOST_ASIO_NO_DEPRECATED_is_defined'": build it
/// without that macro, or the library with it. (A shared library built so fails
/// when loaded; -fdata-sections with --gc-sections may drop the check. The value
/// of BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE is not checked: keep its default.)

#include <runninghub/export.hpp>

#include <boost/asio/detail/config.hpp>  // BOOST_ASIO_HAS_THREADS, as Asio decides it

#if defined(BOOST_ASIO_NO_DEPRECATED)
#  define RUNNINGHUB_ASIO_NO_DEPRECATED BOOST_ASIO_NO_DEPRECATED_is_defined
#else
#  define RUNNINGHUB_ASIO_NO_DEPRECATED BOOST_ASIO_NO_DEPRECATED_is_not_defined
#endif
#if defined(BOOST_ASIO_NO_TS_EXECUTORS)
#  define RUNNINGHUB_ASIO_NO_TS_EXECUTORS BOOST_ASIO_NO_TS_EXECUTORS_is_defined
#else
#  define RUNNINGHUB_ASIO_NO_TS_EXECUTORS BOOST_ASIO_NO_TS_EXECUTORS_is_not_defined
#endif
#if defined(BOOST_ASIO_USE_TS_EXECUTOR_AS_DEFAULT)
#  define RUNNINGHUB_ASIO_TS_EXECUTOR BOOST_ASIO_USE_TS_EXECUTOR_AS_DEFAULT_is_defined
#else
#  define RUNNINGHUB_ASIO_TS_EXECUTOR BOOST_ASIO_USE_TS_EXECUTOR_AS_DEFAULT_is_not_defined
#endif
#if defined(BOOST_ASIO_ENABLE_HANDLER_TRACKING)
#  define RUNNINGHUB_ASIO_HANDLER_TRACKING BOOST_ASIO_ENABLE_HANDLER_TRACKING_is_defined
#else
#  define RUNNINGHUB_ASIO_HANDLER_TRACKING BOOST_ASIO_ENABLE_HANDLER_TRACKING_is_not_defined
#endif
#if defined(BOOST_ASIO_HAS_THREADS)  // off with BOOST_ASIO_DISABLE_THREADS or BOOST_DISABLE_THREADS
#  define RUNNINGHUB_ASIO_THREADS BOOST_ASIO_HAS_THREADS_is_defined
#else
#  define RUNNINGHUB_ASIO_THREADS BOOST_ASIO_HAS_THREADS_is_not_defined
#endif
#if defined(BOOST_ASIO_HAS_IO_URING)
#  define RUNNINGHUB_ASIO_IO_URING BOOST_ASIO_HAS_IO_URING_is_defined
#else
#  define RUNNINGHUB_ASIO_IO_URING BOOST_ASIO_HAS_IO_URING_is_not_defined
#endif
#if defined(BOOST_ASIO_DISABLE_EPOLL)
#  define RUNNINGHUB_ASIO_EPOLL BOOST_ASIO_DISABLE_EPOLL_is_defined
#else
#  define RUNNINGHUB_ASIO_EPOLL BOOST_ASIO_DISABLE_EPOLL_is_not_defined
#endif
#if defined(BOOST_ASIO_DISABLE_TIMERFD)
#  define RUNNINGHUB_ASIO_TIMERFD BOOST_ASIO_DISABLE_TIMERFD_is_defined
#else
#  define RUNNINGHUB_ASIO_TIMERFD BOOST_ASIO_DISABLE_TIMERFD_is_not_defined
#endif
#if defined(BOOST_ASIO_DISABLE_EVENTFD)
#  define RUNNINGHUB_ASIO_EVENTFD BOOST_ASIO_DISABLE_EVENTFD_is_defined
#else
#  define RUNNINGHUB_ASIO_EVENTFD BOOST_ASIO_DISABLE_EVENTFD_is_not_defined
#endif
#if defined(BOOST_ASIO_DISABLE_SMALL_BLOCK_RECYCLING)
#  define RUNNINGHUB_ASIO_RECYCLING BOOST_ASIO_DISABLE_SMALL_BLOCK_RECYCLING_is_defined
#else
#  define RUNNINGHUB_ASIO_RECYCLING BOOST_ASIO_DISABLE_SMALL_BLOCK_RECYCLING_is_not_defined
#endif
// As <boost/asio/buffer.hpp> decides it: on by itself under _GLIBCXX_DEBUG.
#if defined(BOOST_ASIO_ENABLE_BUFFER_DEBUGGING) || \
    (defined(__GNUC__) && defined(_GLIBCXX_DEBUG) && !defined(BOOST_ASIO_DISABLE_BUFFER_DEBUGGING))
#  define RUNNINGHUB_ASIO_BUFFER_DEBUGGING BOOST_ASIO_ENABLE_BUFFER_DEBUGGING_is_defined
#else
#  define RUNNINGHUB_ASIO_BUFFER_DEBUGGING BOOST_ASIO_ENABLE_BUFFER_DEBUGGING_is_not_defined
#endif

/// X(probe, symbol) for each macro (the library's source defines the symbols with it).
#define RUNNINGHUB_ASIO_CONFIG(X)                                                                  \
    X(no_deprecated, RUNNINGHUB_ASIO_NO_DEPRECATED)                                                \
    X(no_ts_executors, RUNNINGHUB_ASIO_NO_TS_EXECUTORS)                                            \
    X(ts_executor_as_default, RUNNINGHUB_ASIO_TS_EXECUTOR)                                         \
    X(handler_tracking, RUNNINGHUB_ASIO_HANDLER_TRACKING)                                          \
    X(threads, RUNNINGHUB_ASIO_THREADS)                                                            \
    X(io_uring, RUNNINGHUB_ASIO_IO_URING)                                                          \
    X(disable_epoll, RUNNINGHUB_ASIO_EPOLL)                                                        \
    X(disable_timerfd, RUNNINGHUB_ASIO_TIMERFD)                                                    \
    X(disable_eventfd, RUNNINGHUB_ASIO_EVENTFD)                                                    \
    X(small_block_recycling, RUNNINGHUB_ASIO_RECYCLING)                                            \
    X(buffer_debugging, RUNNINGHUB_ASIO_BUFFER_DEBUGGING)

// A reference the linker must resolve, kept even where nothing uses it: one per
// translation unit (static), so that no unit's is merged away with another's.
#define RUNNINGHUB_ASIO_CONFIG_PROBE(probe, symbol)                                                \
    extern RUNNINGHUB_EXPORT const char symbol;                                                    \
    [[gnu::used]] static const char* const probe = &symbol;

namespace runninghub::asio_config {
RUNNINGHUB_ASIO_CONFIG(RUNNINGHUB_ASIO_CONFIG_PROBE)
} // namespace runninghub::asio_config
