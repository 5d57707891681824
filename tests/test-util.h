// Helpers shared by the tests.
#pragma once

#include <filesystem>
#include <string>

namespace cadrecode::test {

// ../shared/data (CI has it beside the checkout); empty when absent.
inline std::string shared_data_dir() {
    std::string d = std::string(CADRECODE_SHARED_DIR) + "/data";
    return std::filesystem::is_directory(d) ? d : "";
}

// A file of the source tree, e.g. "examples/bracket.py".
inline std::string source_file(const std::string& rel) { return std::string(CADRECODE_SOURCE_DIR) + "/" + rel; }

}  // namespace cadrecode::test
