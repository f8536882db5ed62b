# Upper case, digits and punctuation, one input line per character; the agent applies Shift.
# The text comes from the runner (E2E_TEXT) so the needle maker types exactly the same.
use Mojo::Base 'basetest';
use testapi;

sub run {
    type_string get_var('E2E_TEXT');
    send_key 'ret';
    assert_screen 'sut-typed', 30;
}

sub test_flags { {fatal => 1} }

1;
