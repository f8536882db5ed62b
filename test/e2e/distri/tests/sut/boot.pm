# The virtual SUT's boot screen arrives through the agent's NUT stream.
use Mojo::Base 'basetest';
use testapi;

sub run {
    assert_screen 'sut-boot', 60;
}

sub test_flags { {fatal => 1} }

1;
