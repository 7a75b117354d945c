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
/// without that macro, or the library with it.

#include <runninghub/export.hpp>

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
#if defined(BOOST_ASIO_DISABLE_THREADS)
#  define RUNNINGHUB_ASIO_THREADS BOOST_ASIO_DISABLE_THREADS_is_defined
#else
#  define RUNNINGHUB_ASIO_THREADS BOOST_ASIO_DISABLE_THREADS_is_not_defined
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

/// X(probe, symbol) for each macro (the library's source defines the symbols with it).
#define RUNNINGHUB_ASIO_CONFIG(X)                                                                  \
    X(no_deprecated, RUNNINGHUB_ASIO_NO_DEPRECATED)                                                \
    X(no_ts_executors, RUNNINGHUB_ASIO_NO_TS_EXECUTORS)                                            \
    X(ts_executor_as_default, RUNNINGHUB_ASIO_TS_EXECUTOR)                                         \
    X(handler_tracking, RUNNINGHUB_ASIO_HANDLER_TRACKING)                                          \
    X(disable_threads, RUNNINGHUB_ASIO_THREADS)                                                    \
    X(io_uring, RUNNINGHUB_ASIO_IO_URING)                                                          \
    X(disable_epoll, RUNNINGHUB_ASIO_EPOLL)

// A reference the linker must resolve, kept even where nothing uses it.
#define RUNNINGHUB_ASIO_CONFIG_PROBE(probe, symbol)                                                \
    extern RUNNINGHUB_EXPORT const char symbol;                                                    \
    [[gnu::used]] inline const char* const probe = &symbol;

namespace runninghub::asio_config {
RUNNINGHUB_ASIO_CONFIG(RUNNINGHUB_ASIO_CONFIG_PROBE)
} // namespace runninghub::asio_config
