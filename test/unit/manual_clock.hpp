// SPDX-License-Identifier: BSL-1.0
#pragma once
// The unit tests' manual clock: a time_point each test advances by hand.

#include <runninghub/options.hpp>

inline const runninghub::time_point t0 = runninghub::time_point{} + std::chrono::hours(1);
