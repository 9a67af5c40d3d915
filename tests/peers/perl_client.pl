#!/usr/bin/perl
# Net::SMPP as an ESME against an SMSC (smsc-sim in the interop tests).
#
# Usage: perl perl_client.pl HOST:PORT
#
# Binds as a transceiver, submits one message asking for a receipt, waits
# for the receipt deliver_sm and answers it, sends enquire_link, unbinds.
# Prints one JSON object on stdout with what it saw; exits 1 on failure
# (still printing) or after 10 s.
use strict;
use warnings;
use Net::SMPP;

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
alarm 10;

my ($host, $port) = $ARGV[0] =~ /\A(.*):(\d+)\z/ or die "usage: $0 HOST:PORT\n";

my ($smpp, $resp) = Net::SMPP->new_transceiver(
    $host,
    port      => $port,
    system_id => 'smppclient1',
    password  => 'password',
    timeout   => 5,
);
finish(1, "connect or bind failed: $!") unless $smpp && $resp;
put(bind_cmd => sprintf('0x%08x', $resp->{cmd}));
num(bind_status => $resp->{status});
put(bind_system_id => $resp->{system_id});
finish(1, 'bind refused') if $resp->{status};

$resp = $smpp->submit_sm(
    source_addr_ton     => 1,
    source_addr_npi     => 1,
    source_addr         => '447700900003',
    dest_addr_ton       => 1,
    dest_addr_npi       => 1,
    destination_addr    => '447700900123',
    registered_delivery => 1,
    short_message       => 'hello from Net::SMPP',
) or finish(1, 'submit_sm: no response: ' . (${*$smpp}{smpperror} // '?'));
put(submit_cmd => sprintf('0x%08x', $resp->{cmd}));
num(submit_status => $resp->{status});
put(message_id => $resp->{message_id});

# The receipt (smsc-sim sends it after the response; --dlr-delay-ms keeps
# it from racing the synchronous wait above).
my $dlr = $smpp->read_pdu() or finish(1, 'no receipt: ' . (${*$smpp}{smpperror} // '?'));
put(receipt_cmd => sprintf('0x%08x', $dlr->{cmd}));
num(receipt_esm_class => $dlr->{esm_class});
put(receipt_text => $dlr->{short_message});
put(receipt_source_addr => $dlr->{source_addr});
put(receipt_destination_addr => $dlr->{destination_addr});
# Optional parameters are kept by tag number: 0x001e receipted_message_id
# (C-octet string), 0x0427 message_state (1 octet).
my $rid = $dlr->{receipted_message_id} // $dlr->{0x001e};
$rid =~ s/\0\z// if defined $rid;
put(receipted_message_id => $rid);
my $state = $dlr->{message_state} // $dlr->{0x0427};
num(message_state => defined $state ? unpack('C', $state) : undef);
$smpp->deliver_sm_resp(seq => $dlr->{seq}, message_id => '');

$resp = $smpp->enquire_link() or finish(1, 'enquire_link: no response');
put(enquire_link_cmd => sprintf('0x%08x', $resp->{cmd}));
num(enquire_link_status => $resp->{status});

$resp = $smpp->unbind() or finish(1, 'unbind: no response');
put(unbind_cmd => sprintf('0x%08x', $resp->{cmd}));
num(unbind_status => $resp->{status});
$smpp->close();
finish(0);
