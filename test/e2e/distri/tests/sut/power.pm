# Power off: the HDMI signal goes away (the agent serves its no-signal frame); power on recovers.
use Mojo::Base 'basetest';
use testapi;

sub run {
    power('off');
    assert_screen 'no-signal', 30;
    power('on');
    assert_screen 'sut-boot', 60;
}

sub test_flags { {fatal => 1} }

1;
