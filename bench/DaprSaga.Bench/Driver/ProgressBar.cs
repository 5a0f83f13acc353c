using System.Diagnostics;

namespace DaprSaga.Bench.Driver;

/// <summary>A one-line progress bar on stderr (a line every few seconds when stderr is not a terminal).</summary>
public sealed class ProgressBar : IDisposable
{
    private const int Width = 30;
    private readonly int _total;
    private readonly Func<int> _done;
    private readonly Timer _timer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private long _lastLine;
    private bool _finished;

    public ProgressBar(int total, Func<int> done)
    {
        (_total, _done) = (total, done);
        _timer = new Timer(_ => Draw(final: false), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(250));
    }

    public void Finish()
    {
        _timer.Change(Timeout.Infinite, Timeout.Infinite);
        Draw(final: true);
    }

    private void Draw(bool final)
    {
        lock (_gate)
        {
            if (_finished) return;
            _finished = final;
            var done = Math.Clamp(_done(), 0, _total);
            var seconds = _clock.Elapsed.TotalSeconds;
            var filled = (int)((long)done * Width / _total);
            var line = $"   [{new string('#', filled)}{new string('.', Width - filled)}] {done}/{_total} ended, {done / Math.Max(seconds, 0.001):0} sagas/s, {seconds:0.0} s";
            if (!Console.IsErrorRedirected)
            {
                Console.Error.Write("\r" + line + (final ? Environment.NewLine : ""));
            }
            else if (final || _clock.ElapsedMilliseconds - _lastLine >= 5000)
            {
                _lastLine = _clock.ElapsedMilliseconds;
                Console.Error.WriteLine(line);
            }
        }
    }

    public void Dispose() => _timer.Dispose();
}
