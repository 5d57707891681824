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

inline std::string test_data(const std::string& name) { return std::string(CADRECODE_TEST_DATA) + "/" + name; }

}  // namespace cadrecode::test
