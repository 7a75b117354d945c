// SPDX-License-Identifier: BSL-1.0
#pragma once
// All typed models (kept for existing code): the task, files and service
// headers, one concept each.

#include <runninghub/files.hpp>
#include <runninghub/service.hpp>
#include <runninghub/task.hpp>
