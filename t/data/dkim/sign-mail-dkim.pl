#!/usr/bin/perl
# sign-mail-dkim.pl - sign a message with Mail::DKIM (libmail-dkim-perl), an
# independent signer for the DKIM tests. Reads the message on stdin (LF or
# CRLF), writes it with the new DKIM-Signature field on top, LF line ends.
# Usage: sign-mail-dkim.pl KEYFILE DOMAIN SELECTOR ALGORITHM CANON [tag=value ...]
#   extra: headers=a:b:c (exact h= list), t=TIMESTAMP, x=EXPIRATION
use strict;
use warnings;
use Mail::DKIM::Signer;
use Mail::DKIM::Signature;

my ($keyfile, $domain, $selector, $alg, $canon, @extra) = @ARGV;
die "usage: $0 KEYFILE DOMAIN SELECTOR ALGORITHM CANON [tag=value ...]\n" unless defined $canon;
my %x = map { split /=/, $_, 2 } @extra;

my $msg = do { local $/; <STDIN> };
$msg =~ s/\r?\n/\r\n/g;

my $policy = sub {
	my $signer = shift;
	$signer->add_signature(Mail::DKIM::Signature->new(
		Algorithm => $alg,
		Method    => $canon,
		Headers   => $x{headers} // $signer->headers,
		Domain    => $domain,
		Selector  => $selector,
		(defined $x{t} ? (Timestamp => $x{t}) : ()),
		(defined $x{x} ? (Expiration => $x{x}) : ()),
	));
	return;
};
my $signer = Mail::DKIM::Signer->new(Policy => $policy, KeyFile => $keyfile);
$signer->PRINT($msg);
$signer->CLOSE;
my $out = $signer->signature->as_string . "\r\n" . $msg;
$out =~ s/\r\n/\n/g;
print $out;
