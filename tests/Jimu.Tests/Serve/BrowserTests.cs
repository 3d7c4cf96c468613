using Jimu.Tests.Cli;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Interactions;
using OpenQA.Selenium.Support.UI;

namespace Jimu.Tests.Serve;

/// <summary>
/// The draw-a-digit page in a real browser (headless Chromium through chromedriver): a 7 and a 3 drawn with
/// pointer events are read as 7 and 3, the 28×28 input and the feature maps appear. Screenshots of the page go to
/// tests/artifacts/ (kept after the run).
/// </summary>
[Collection("server")]
public sealed class BrowserTests(ServerFixture server)
{
    public static string Artifacts
    {
        get
        {
            string dir = Path.Combine(RepoPaths.Root, "tests", "artifacts");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    private static ChromeDriver StartChromium()
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Chromium.Driver)!, Path.GetFileName(Chromium.Driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = Chromium.Browser };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1100", "--force-device-scale-factor=1");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    /// <summary>Draws the strokes (on a 200×240 design) onto the 280×280 pad with a pen-like pointer.</summary>
    private static void Draw(IWebDriver driver, IWebElement pad, (double X, double Y)[][] strokes)
    {
        var pen = new PointerInputDevice(PointerKind.Mouse, "pen");
        var actions = new ActionBuilder();
        foreach (var stroke in strokes)
        {
            for (int i = 0; i < stroke.Length; i++)
            {
                // Pad coordinates relative to its centre, as WebDriver's element origin wants them.
                int x = (int)Math.Round(stroke[i].X * 1.05 + 35 - 140), y = (int)Math.Round(stroke[i].Y * 1.05 + 14 - 140);
                if (i == 0)
                {
                    actions.AddAction(pen.CreatePointerMove(pad, x, y, TimeSpan.Zero));
                    actions.AddAction(pen.CreatePointerDown(MouseButton.Left));
                    continue;
                }
                // Several small moves per segment, as a hand makes them.
                var (px, py) = (stroke[i - 1].X * 1.05 + 35 - 140, stroke[i - 1].Y * 1.05 + 14 - 140);
                for (int s = 1; s <= 4; s++)
                    actions.AddAction(pen.CreatePointerMove(pad, (int)Math.Round(px + (x - px) * s / 4), (int)Math.Round(py + (y - py) * s / 4), TimeSpan.FromMilliseconds(10)));
            }
            actions.AddAction(pen.CreatePointerUp(MouseButton.Left));
        }
        ((IActionExecutor)driver).PerformActions(actions.ToActionSequenceList());
    }

    private static string ReadAnswer(IWebDriver driver, string expected)
    {
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(30));
        try
        {
            // The last prediction and the feature maps (requested when the stroke ends) have both arrived.
            wait.Until(d => d.FindElement(By.Id("answer")).GetAttribute("data-class") == expected
                && d.FindElements(By.CssSelector("#layers canvas")).Count > 0);
        }
        catch (WebDriverTimeoutException) { }
        return driver.FindElement(By.Id("answer")).GetAttribute("data-class") ?? "";
    }

    [Fact]
    public void DrawnSevenAndThree_AreReadLive()
    {
        Chromium.SkipUnlessInstalled();
        using var driver = StartChromium();
        driver.Navigate().GoToUrl(server.BaseAddress);
        new WebDriverWait(driver, TimeSpan.FromSeconds(30)).Until(d => d.FindElement(By.Id("model")).Text.Contains("digits-small"));
        Assert.Equal(10, driver.FindElements(By.CssSelector("#bars .track")).Count);
        var pad = driver.FindElement(By.Id("pad"));

        foreach (var (digit, strokes) in new[] { ("7", DrawnDigits.Seven), ("3", DrawnDigits.Three) })
        {
            driver.FindElement(By.Id("clear")).Click();
            Draw(driver, pad, strokes);
            string answer = ReadAnswer(driver, digit);
            ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(Path.Combine(Artifacts, $"page-{digit}.png"));
            Assert.True(answer == digit, $"drew a {digit}, the page read '{answer}' (screenshot: tests/artifacts/page-{digit}.png); errors: {driver.FindElement(By.Id("error")).Text}");

            // The bars: the drawn digit's is the longest and marked best.
            var best = driver.FindElements(By.CssSelector("#bars .name.best"));
            Assert.Equal(digit, Assert.Single(best).Text);
            var fill = driver.FindElement(By.CssSelector("#bars .track.best .fill"));
            var track = driver.FindElement(By.CssSelector("#bars .track.best"));
            Assert.True(fill.Size.Width > track.Size.Width / 2, $"the best bar is {fill.Size.Width} of {track.Size.Width} pixels");
            // What the network sees: a 28×28 image with ink in it, light on dark.
            var seen = (IReadOnlyCollection<object>?)((IJavaScriptExecutor)driver).ExecuteScript(
                "const c = document.getElementById('seen'); return [c.width, c.height, Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data).filter((v, i) => i % 4 === 0 && v > 128).length];");
            var values = Assert.IsAssignableFrom<IReadOnlyCollection<object>>(seen).Select(Convert.ToInt64).ToArray();
            Assert.Equal(28, values[0]);
            Assert.Equal(28, values[1]);
            Assert.InRange(values[2], 30, 400);
            // Inside: conv1's 8 filters, then 8 and 16 feature maps.
            Assert.Equal(8 + 8 + 16, driver.FindElements(By.CssSelector("#layers canvas")).Count);
            Assert.Empty(driver.FindElement(By.Id("error")).Text);
        }
        PngCheck.AssertPicture(Path.Combine(Artifacts, "page-3.png"), 1000, 800);
    }
}
