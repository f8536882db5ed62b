# A needle that cannot match: the job must fail (the runner asserts it does).
use Mojo::Base 'basetest';
use testapi;

sub run {
    assert_screen 'never-on-screen', 5;
}

sub test_flags { {fatal => 1} }

1;
