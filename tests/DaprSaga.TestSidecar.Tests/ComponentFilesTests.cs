
namespace DaprSaga.TestSidecar.Tests;

public sealed class ComponentFilesTests
{
    [Fact]
    public void Every_cron_binding_an_app_loads_has_a_schedule_read_from_the_component_file()
    {
        var schedules = ComponentFiles.CronSchedules();

        foreach (var binding in Components.BindingsOf.Values.SelectMany(b => b))
        {
            Assert.True(schedules.TryGetValue(binding, out var period), $"no schedule for {binding}");
            Assert.InRange(period, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        }
        Assert.Equal(TimeSpan.FromSeconds(5), schedules[Components.OutboxSweep]);
    }
}
