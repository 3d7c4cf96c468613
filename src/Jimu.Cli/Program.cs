Console.WriteLine("jimu");
