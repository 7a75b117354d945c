// SPDX-License-Identifier: BSL-1.0
#pragma once
// The whole public API of runninghub-cpp in one include. Each header below is
// one concept and compiles on its own; include only those you use to build faster.

#include <runninghub/batch.hpp>             // batch_runner: many jobs, bounded concurrency, a journal
#include <runninghub/batch_files.hpp>       // jobs files and results files (JSON Lines)
#include <runninghub/client.hpp>            // client: run, query, wait, cancel, uploads, downloads …
#include <runninghub/error.hpp>             // errc, diagnostics, error
#include <runninghub/files.hpp>             // upload_file, uploaded_file, download_options, download_result
#include <runninghub/journal.hpp>           // batch_journal: a crash-safe record of paid submits
#include <runninghub/options.hpp>           // client_options
#include <runninghub/policies.hpp>          // timeouts, pool, poll, retry and throttle policies
#include <runninghub/service.hpp>           // account, queue status, webhook records, app and workflow metadata
#include <runninghub/stats.hpp>             // client_stats
#include <runninghub/task.hpp>              // ai_app, workflow, node_input, run_options, task
#include <runninghub/version.hpp>           // RUNNINGHUB_VERSION
#include <runninghub/webhook.hpp>           // webhook_listener, webhook_event
#include <runninghub/with_diagnostics.hpp>  // the default completion token
