from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('baas_push', '0002_outcome_locked_until_outcome_next_attempt_at'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notification',
            name='created',
            field=models.DateTimeField(auto_now_add=True, db_index=True),
        ),
    ]
