# The flash script attached HDD_1 through the agent: the SUT lists it on its media line.
use Mojo::Base 'basetest';
use testapi;

sub run {
    assert_screen 'sut-media', 30;
}

sub test_flags { {fatal => 1} }

1;
