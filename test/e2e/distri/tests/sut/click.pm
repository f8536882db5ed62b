# The absolute pointer lands where the needle says: the SUT turns its target green on a left click.
use Mojo::Base 'basetest';
use testapi;

sub run {
    assert_and_click 'sut-target';
    assert_screen 'sut-target-clicked', 30;
}

sub test_flags { {fatal => 1} }

1;
