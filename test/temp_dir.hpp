// SPDX-License-Identifier: BSL-1.0
#pragma once
// A fresh directory for one test, removed with everything in it at the end.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <system_error>
#include <unistd.h>

struct temp_dir {
    temp_dir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "runninghub-test-XXXXXX").string();
        BOOST_REQUIRE(::mkdtemp(tmpl.data()));
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    std::filesystem::path path;
};
