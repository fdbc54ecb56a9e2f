# Per-container `run` latency of each runtime, in run order (gnuplot -e "dat=...; out=...").
set terminal pngcairo size 1000,560 noenhanced
set output out
set title "run latency per container (/bin/true, default config), interleaved"
set xlabel "run #"
set ylabel "milliseconds (log scale)"
set logscale y
set grid ytics mytics
set key outside right
plot for [i=2:5] dat using 1:i with points pointtype 7 pointsize 0.5 title columnhead(i)
