#!/usr/bin/env bash
# Every error dvflag raises says what to do: each ereport() in src/ at
# ERROR (or at a level chosen at run time) carries an errhint, but for the
# few allowed below, each with its reason.  elog(ERROR) is for what cannot
# happen (an SPI failure, a trigger called wrongly) and carries no hint.
# Needs no server.
set -u
cd "$(dirname "$0")/../.."
exec perl -e '
use strict;
use warnings;

# message (as written in the source) => why it has no hint
my %allowed = (
  "dvflag audit writer: the caller\x27s row is gone" =>
    "raised in the audit writer, a background worker, into the server log only; the caller it wrote for has its WARNING already",
);

my (@calls, @missing);
for my $file (sort glob "src/*.c") {
  open my $fh, "<", $file or die "$file: $!";
  my $src = do { local $/; <$fh> };
  while ($src =~ /\bereport\s*\(/g) {
    my $start = $-[0];
    # the whole call: up to the parenthesis that closes it
    my ($depth, $i, $instr) = (1, pos($src), 0);
    while ($depth > 0 && $i < length $src) {
      my $c = substr($src, $i, 1);
      if ($instr) { $instr = 0 if $c eq "\"" && substr($src, $i - 1, 1) ne "\\"; }
      elsif ($c eq "\"") { $instr = 1; }
      elsif ($c eq "(") { $depth++; }
      elsif ($c eq ")") { $depth--; }
      $i++;
    }
    my $call = substr($src, $start, $i - $start);
    my $line = 1 + (substr($src, 0, $start) =~ tr/\n//);
    my ($level) = $call =~ /^ereport\s*\(\s*(\w+)/;
    next if $level =~ /^(WARNING|NOTICE|LOG|INFO|DEBUG[1-5]|LOG_SERVER_ONLY)$/;
    my ($msg) = $call =~ /errmsg(?:_internal)?\s*\(\s*"((?:[^"\\]|\\.)*)"/;
    $msg //= "?";
    push @calls, "$file:$line";
    next if $call =~ /\berrhint(_plural)?\s*\(/;
    next if exists $allowed{$msg};
    push @missing, "$file:$line: $level \"$msg\"";
  }
}
print "1..2\n";
print @calls > 50 ? "ok 1" : "not ok 1", " - ", scalar(@calls), " errors raised with ereport in src/ were read\n";
if (@missing) {
  print "not ok 2 - every one has a hint (or is allowed without, with its reason)\n";
  print "# no errhint: $_\n" for @missing;
} else {
  print "ok 2 - every one has a hint (or is allowed without, with its reason)\n";
}
print "# allowed without a hint: \"$_\": $allowed{$_}\n" for sort keys %allowed;
'
