# A tiny openQA test distribution for the simulated PiKVM's virtual SUT. It is run by Debian's
# unmodified isotovideo (os-autoinst, generalhw backend) through pikvm-agent; see test/e2e/run.ts.
use strict;
use warnings;
use testapi;
use autotest;

if (get_var('E2E_NEGATIVE')) {
    # Proves the assertions are real: this needle cannot match, so the job must fail.
    autotest::loadtest('tests/sut/boot.pm');
    autotest::loadtest('tests/sut/unmatchable.pm');
}
else {
    autotest::loadtest("tests/sut/$_.pm") for qw(boot typing shortcuts click media power click_1080p);
}

1;
