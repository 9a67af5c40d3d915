#!/usr/bin/perl
# Net::SMPP as an SMSC for scripts/compare: accepts any bind and answers
# every submit_sm at once with a fresh message id.
#
# Usage: perl bench_perl_server.pl [PORT]   (default 0: a free port)
#
# Prints {"listening":PORT} once listening; on SIGTERM waits for its
# sessions to end, prints "sessions=N submit_sm=N" and exits 0.
#
# Net::SMPP is synchronous: read_pdu blocks until a whole PDU has arrived
# (two sysreads, header then body) and each response is one syswrite. So
# the listener forks one process per connection, and each process serves
# its session strictly in order: read a PDU, answer it, read the next.
# Pipelined submits from the client wait in the socket buffer meanwhile.
# A session process answers bind_transmitter, bind_transceiver and
# bind_receiver (any system_id and password) with status 0, submit_sm with
# message id "<pid hex>-<n hex>", enquire_link, and unbind (then closes);
# any other request gets generic_nack ESME_RINVCMDID. When its session ends
# it writes its submit_sm count to a pipe that the listener sums.
use strict;
use warnings;
use IO::Handle;
use POSIX ':sys_wait_h';
use Net::SMPP;

STDOUT->autoflush(1);

my $listener = Net::SMPP->new_listen('127.0.0.1', port => $ARGV[0] // 0,
                                     system_id => 'perl-bench', listen => 128)
    or die "bench_perl_server: cannot listen: $!\n";

pipe(my $counts_r, my $counts_w) or die "bench_perl_server: pipe: $!\n";
$counts_w->autoflush(1);

my %children;
my $sessions = 0;
my $term = 0;
$SIG{CHLD} = sub {
    while ((my $pid = waitpid(-1, WNOHANG)) > 0) { delete $children{$pid}; }
};
$SIG{TERM} = sub { $term = 1; };

print '{"listening":', $listener->sockport, "}\n";

until ($term) {
    # accept returns undef when a signal interrupts it; the loop then
    # checks $term again.
    my $conn = $listener->accept or next;
    $sessions++;
    my $pid = fork;
    if (!defined $pid) {
        warn "bench_perl_server: fork: $!\n";
        close $conn;
        next;
    }
    if ($pid == 0) {
        $SIG{CHLD} = 'DEFAULT';
        $SIG{TERM} = 'DEFAULT';
        close $listener;
        close $counts_r;
        my $submits = serve($conn);
        print $counts_w "$submits\n";
        POSIX::_exit(0);
    }
    $children{$pid} = 1;
    close $conn;
}

# Sessions still running get until their client unbinds; then the pipe
# reaches end of file once every session process has written and exited.
close $listener;
close $counts_w;
my $submits = 0;
while (my $line = <$counts_r>) { $submits += $line; }
1 while waitpid(-1, 0) > 0;
print "sessions=$sessions submit_sm=$submits\n";
exit 0;

sub serve {
    my ($conn) = @_;
    my $submits = 0;
    my $prefix = sprintf('%x-', $$);
    while (my $pdu = $conn->read_pdu()) {
        my $cmd = $pdu->{cmd};
        if ($cmd == 0x00000004) {    # submit_sm
            $submits++;
            $conn->submit_sm_resp(seq => $pdu->{seq}, message_id => $prefix . sprintf('%x', $submits));
        } elsif ($cmd == 0x00000015) {    # enquire_link
            $conn->enquire_link_resp(seq => $pdu->{seq});
        } elsif ($cmd == 0x00000009) {
            $conn->bind_transceiver_resp(seq => $pdu->{seq}, system_id => 'perl-bench');
        } elsif ($cmd == 0x00000002) {
            $conn->bind_transmitter_resp(seq => $pdu->{seq}, system_id => 'perl-bench');
        } elsif ($cmd == 0x00000001) {
            $conn->bind_receiver_resp(seq => $pdu->{seq}, system_id => 'perl-bench');
        } elsif ($cmd == 0x00000006) {    # unbind
            $conn->unbind_resp(seq => $pdu->{seq});
            last;
        } elsif (!($cmd & 0x80000000)) {
            $conn->generic_nack(seq => $pdu->{seq}, status => 0x03);
        }
    }
    close $conn;
    return $submits;
}
