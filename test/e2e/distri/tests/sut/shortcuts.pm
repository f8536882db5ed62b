# Combos arrive as chords: the SUT shows the last shortcut it saw, and ctrl-l clears its console.
use Mojo::Base 'basetest';
use testapi;

sub run {
    send_key 'ctrl-alt-delete';
    assert_screen 'sut-shortcut-cad', 30;
    send_key 'ctrl-l';
    assert_screen 'sut-cleared', 30;
}

sub test_flags { {fatal => 1} }

1;
