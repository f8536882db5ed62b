# The pointer is in os-autoinst's XRES×YRES space, not the SUT's mode (issue 10): with the SUT at
# 1920x1080, whose frames os-autoinst scales to 1024x768 for matching, assert_and_click still
# lands on the target. E2E_SIM_CTL is `pikvm-agent ctl` of the simulated PiKVM (set by e2e.test.ts).
use Mojo::Base 'basetest';
use testapi;

sub sim_mode {
    my ($width, $height) = @_;
    my @ctl = split / /, get_required_var('E2E_SIM_CTL');
    local $SIG{CHLD};    # no handler may reap the child before system() does (as backend/generalhw.pm)
    system(@ctl, 'sim', 'mode', $width, $height) == 0 or die "sim mode $width $height failed: $?";
}

sub run {
    sim_mode(1920, 1080);
    assert_and_click 'sut-target-1080p';
    assert_screen 'sut-target-clicked-1080p', 30;
    sim_mode(1024, 768);
}

# Later jobs on the same simulated PiKVM expect 1024x768.
sub post_fail_hook { sim_mode(1024, 768) }

sub test_flags { {fatal => 1} }

1;
