#!/usr/bin/perl
# Net::SMPP as a load generator for scripts/compare: one transceiver bind
# that keeps WINDOW submit_sm outstanding until COUNT have been answered.
#
# Usage: perl bench_perl_client.pl --connect HOST:PORT [--count N]
#        [--window W] [--size BYTES]
#
# Net::SMPP is synchronous, but a request made with async => 1 is written
# (one syswrite) and returns its sequence number without waiting, and
# read_pdu blocks until one whole PDU has arrived (two sysreads, header then
# body). So this client sends WINDOW submits, then reads one PDU at a time
# and sends one new submit for each answer, keeping WINDOW outstanding (the
# same scheme as smpp-bench and the node-smpp client). Answers are matched
# to their submits by sequence number; enquire_link from the SMSC is
# answered.
#
# Last line, as smpp-bench prints it:
#   submitted=N acked=N failed=N seconds=T rate=R p50_us=X p99_us=Y
use strict;
use warnings;
use IO::Handle;
use Time::HiRes qw(time);
use Net::SMPP;

STDOUT->autoflush(1);

my %opt = (connect => '127.0.0.1:2775', count => 100000, window => 64, size => 20);
while (@ARGV) {
    my $arg = shift @ARGV;
    my ($key) = $arg =~ /\A--(\w+)\z/;
    die "bench_perl_client: bad argument $arg\n"
        unless defined $key && exists $opt{$key} && @ARGV;
    $opt{$key} = shift @ARGV;
}
my ($host, $port) = $opt{connect} =~ /\A(.*):(\d+)\z/
    or die "bench_perl_client: bad address $opt{connect}\n";
my ($count, $window) = ($opt{count}, $opt{window});
my $text = join '', map { chr(97 + $_ % 26) } 0 .. $opt{size} - 1;

my ($smpp, $resp) = Net::SMPP->new_transceiver(
    $host,
    port      => $port,
    system_id => 'smppclient1',
    password  => 'password',
    timeout   => 5,
);
die "bench_perl_client: connect or bind failed: $!\n" unless $smpp && $resp;
die "bench_perl_client: bind refused, status $resp->{status}\n" if $resp->{status};

my ($submitted, $acked, $failed) = (0, 0, 0);
my %sent_at;
my @latencies;

sub submit_one {
    $submitted++;
    my $seq = $smpp->submit_sm(
        async            => 1,
        source_addr_ton  => 5,
        source_addr      => 'bench',
        dest_addr_ton    => 1,
        dest_addr_npi    => 1,
        destination_addr => '447700900123',
        short_message    => $text,
    );
    $sent_at{$seq} = time;
}

my $start = time;
my $error;
submit_one() while $submitted < $window && $submitted < $count;
while ($acked + $failed < $count) {
    my $pdu = $smpp->read_pdu();
    if (!$pdu) {
        $error = 'connection lost: ' . (${*$smpp}{smpperror} // '?');
        last;
    }
    my $cmd = $pdu->{cmd};
    if ($cmd == 0x80000004 || $cmd == 0x80000000) {    # submit_sm_resp, generic_nack
        my $sent = delete $sent_at{$pdu->{seq}};
        next unless defined $sent;
        push @latencies, (time - $sent) * 1e6;
        if ($pdu->{status} == 0) { $acked++ } else { $failed++ }
        submit_one() if $submitted < $count;
    } elsif ($cmd == 0x00000015) {    # enquire_link
        $smpp->enquire_link_resp(seq => $pdu->{seq});
    } elsif ($cmd == 0x00000005) {    # deliver_sm
        $smpp->deliver_sm_resp(seq => $pdu->{seq}, message_id => '');
    }
}
my $seconds = time - $start;

@latencies = sort { $a <=> $b } @latencies;
sub pct {
    my ($q) = @_;
    return 0 unless @latencies;
    my $i = int(@latencies * $q);
    $i = $#latencies if $i > $#latencies;
    return int($latencies[$i] + 0.5);
}
printf "submitted=%d acked=%d failed=%d seconds=%.3f rate=%d p50_us=%d p99_us=%d\n",
    $submitted, $acked, $failed, $seconds, int($acked / ($seconds > 1e-9 ? $seconds : 1e-9) + 0.5),
    pct(0.5), pct(0.99);
if (defined $error) {
    print STDERR "bench_perl_client: $error\n";
    exit 1;
}
$smpp->unbind();
$smpp->close();
exit 0;
