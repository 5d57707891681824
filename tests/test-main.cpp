// Shared main of the test executables. A test that needs something absent calls skip_test(reason): when
// every test that ran was skipped, the process exits with 77, which ctest reports as skipped (never passed).
#include <gtest/gtest.h>

#include "test-util.h"

namespace {
int skipped = 0;
int ran = 0;

class SkipCounter : public testing::EmptyTestEventListener {
    void OnTestEnd(const testing::TestInfo& info) override {
        ++ran;
        if (info.result()->Skipped()) ++skipped;
    }
};
}  // namespace

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    testing::UnitTest::GetInstance()->listeners().Append(new SkipCounter);
    int rc = RUN_ALL_TESTS();
    if (rc == 0 && ran > 0 && skipped == ran) return 77;
    return rc;
}
