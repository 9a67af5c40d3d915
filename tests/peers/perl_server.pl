#!/usr/bin/perl
# Net::SMPP as an SMSC for one ESME session (the library's ESME in the
# interop tests).
#
# Usage: perl perl_server.pl
#
# Listens on 127.0.0.1 on a free port and prints {"listening":PORT} as the
# first line. Accepts one connection: answers bind_transceiver (system_id
# smppclient1, password password) and sends one enquire_link, answers each
# submit_sm with message id "perl-N" and then sends one MO deliver_sm,
# answers enquire_link, and on unbind answers and prints one JSON object
# with what it saw. Exits 1 on failure (still printing) or after 15 s.
use strict;
use warnings;
use IO::Handle;
use Net::SMPP;

STDOUT->autoflush(1);
my @out;    # [key, JSON text] in order

sub json_str {
    my ($v) = @_;
    return 'null' unless defined $v;
    $v =~ s/(["\\])/\\$1/g;
    $v =~ s/([\x00-\x1f\x7f-\xff])/sprintf('\\u%04x', ord($1))/ge;
    return "\"$v\"";
}
sub put { my ($k, $v) = @_; push @out, [$k, json_str($v)]; }
sub num { my ($k, $v) = @_; push @out, [$k, defined $v ? 0 + $v : 'null']; }

sub finish {
    my ($code, $why) = @_;
    put(error => $why) if defined $why;
    print '{', join(',', map { json_str($_->[0]) . ':' . $_->[1] } @out), "}\n";
    exit $code;
}

$SIG{ALRM} = sub { finish(1, 'timed out') };
alarm 15;

my $listener = Net::SMPP->new_listen('127.0.0.1', port => 0, system_id => 'perl-smsc')
    or die "cannot listen: $!\n";
print '{"listening":', $listener->sockport, "}\n";

my $conn;
$conn = $listener->accept until $conn;
close $listener;

my $next_id = 1;
my @events;
my @deliver_resp;
while (1) {
    my $pdu = $conn->read_pdu()
        or finish(1, 'connection lost: ' . (${*$conn}{smpperror} // '?'));
    my $cmd = $pdu->{cmd};
    push @events, sprintf('0x%08x', $cmd);
    if ($cmd == 0x00000009) {    # bind_transceiver
        put(bind_system_id => $pdu->{system_id});
        put(bind_password => $pdu->{password});
        num(bind_interface_version => $pdu->{interface_version});
        my $ok = $pdu->{system_id} eq 'smppclient1' && $pdu->{password} eq 'password';
        $conn->bind_transceiver_resp(seq => $pdu->{seq}, status => $ok ? 0 : 0x0d,
                                     system_id => 'perl-smsc');
        # The ESME must answer the SMSC's enquire_link too.
        $conn->enquire_link(async => 1) if $ok;
    } elsif ($cmd == 0x00000004) {    # submit_sm
        my $id = 'perl-' . $next_id++;
        put(submit_destination_addr => $pdu->{destination_addr});
        put(submit_source_addr => $pdu->{source_addr});
        num(submit_data_coding => $pdu->{data_coding});
        put(submit_text => $pdu->{short_message});
        put(submit_message_id => $id);
        $conn->submit_sm_resp(seq => $pdu->{seq}, message_id => $id);
        $conn->deliver_sm(
            async            => 1,
            source_addr_ton  => 1,
            source_addr_npi  => 1,
            source_addr      => '447700900999',
            dest_addr_ton    => 1,
            dest_addr_npi    => 1,
            destination_addr => '12345',
            short_message    => 'MO from Net::SMPP',
        );
    } elsif ($cmd == 0x80000005) {    # deliver_sm_resp
        push @deliver_resp, $pdu->{status};
    } elsif ($cmd == 0x80000015) {    # enquire_link_resp
        num(enquire_link_resp_status => $pdu->{status});
    } elsif ($cmd == 0x00000015) {    # enquire_link
        $conn->enquire_link_resp(seq => $pdu->{seq});
    } elsif ($cmd == 0x00000006) {    # unbind
        $conn->unbind_resp(seq => $pdu->{seq});
        put(events => join(' ', @events));
        put(deliver_sm_resp_status => join(' ', @deliver_resp));
        put(unbind => 'yes');
        finish(0);
    } elsif (!($cmd & 0x80000000)) {
        $conn->generic_nack(seq => $pdu->{seq}, status => 0x03);
    }
}
