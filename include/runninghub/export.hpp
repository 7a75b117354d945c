// SPDX-License-Identifier: BSL-1.0
#pragma once
/// @file
/// RUNNINGHUB_EXPORT marks the public API. The library compiles with hidden
/// visibility, so a shared build exports only what carries this mark.

#if defined(__GNUC__)
// Static or shared, the mark is the same: both builds share one set of objects.
#  define RUNNINGHUB_EXPORT __attribute__((visibility("default")))
#else
#  define RUNNINGHUB_EXPORT
#endif

// Every public header comes through here: the Asio configuration check rides along.
#include <runninghub/detail/asio_config.hpp>
