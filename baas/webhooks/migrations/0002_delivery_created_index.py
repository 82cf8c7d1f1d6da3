from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('baas_webhooks', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='delivery',
            name='created',
            field=models.DateTimeField(auto_now_add=True, db_index=True),
        ),
    ]
